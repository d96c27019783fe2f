package io.pgtier.glassfish;

import jakarta.annotation.Resource;
import jakarta.ejb.Stateless;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.QueryParam;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;

/**
 * Test-only, added to the application WAR by GlassFishIT: a container-managed transaction that runs
 * one long statement on the READ_WRITE pool ({@code pg_sleep}), so the test can hang the route
 * under it and see the bean's call end.
 */
@Path("hold")
@Stateless
public class HoldEndpoint {

    @Resource(lookup = "jca/pgtier")
    DataSource ds;

    @POST
    public String hold(@QueryParam("seconds") double seconds) throws SQLException {
        try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
            s.execute("SELECT pg_sleep(" + seconds + ")");
            return "held";
        }
    }
}
