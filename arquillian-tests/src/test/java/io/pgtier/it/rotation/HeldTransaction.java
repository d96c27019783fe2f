package io.pgtier.it.rotation;

import jakarta.annotation.Resource;
import jakarta.ejb.Stateless;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.QueryParam;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;

/**
 * Test-only, added to the application WAR by RotationIT: a bean's container-managed transaction
 * that is under way while the operator rotates the pool's password. It writes a note, waits until
 * {@code release} (once per deployment; at most 60 s), writes a second note on the same connection and returns, so the
 * container commits both, or neither.
 */
@Path("held")
@Stateless
public class HeldTransaction {

    private static final CountDownLatch RELEASE = new CountDownLatch(1);

    @Resource(lookup = "jca/pgtier")
    DataSource ds;

    @POST
    public String hold(@QueryParam("text") String text) throws SQLException, InterruptedException {
        try (Connection c = ds.getConnection()) {
            insert(c, text);
            if (!RELEASE.await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("never released");
            }
            insert(c, text);
            return "written twice";
        }
    }

    @POST
    @Path("release")
    public String release() {
        RELEASE.countDown();
        return "released";
    }

    private static void insert(Connection c, String text) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("INSERT INTO notes(text) VALUES (?)")) {
            s.setString(1, text);
            s.executeUpdate();
        }
    }
}
