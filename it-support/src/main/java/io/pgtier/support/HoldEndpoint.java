package io.pgtier.support;

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
 * Test-only, added to the application WAR by the container tests (MetricsIT, PortableContract): a
 * container-managed transaction that holds one connection of the READ_WRITE pool for a while
 * ({@code pg_sleep} on the server), so a test can see a connection in use, fill the container's
 * pool, and hang a statement when the route stalls.
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
