package io.pgtier.bench.server;

import jakarta.enterprise.context.RequestScoped;
import jakarta.json.Json;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import javax.naming.InitialContext;
import javax.naming.NamingException;
import javax.sql.DataSource;

/**
 * The availability benchmark's one call: a write (one autocommitted INSERT) through a named pool,
 * pgtier's or Payara's own. The pools are looked up per call rather than injected: only the
 * availability run creates them, and Payara checks every {@code @Resource} when the WAR loads.
 */
@Path("avail")
@RequestScoped
@Produces(MediaType.APPLICATION_JSON)
public class AvailResource {

    /** @param resource the JNDI name of the pool, e.g. {@code jca/avail-single} or {@code jdbc/avail-single} */
    @POST
    public Response write(@QueryParam("resource") String resource) {
        if (resource == null || !(resource.startsWith("jca/avail-") || resource.startsWith("jdbc/avail-"))) {
            return Response.status(400).entity("{\"error\":\"resource: jca/avail-* or jdbc/avail-*\"}").build();
        }
        try (Connection c = lookup(resource).getConnection();
             PreparedStatement s = c.prepareStatement("INSERT INTO avail_writes (pool) VALUES (?)")) {
            s.setString(1, resource);
            s.executeUpdate();
            return Response.ok("{\"ok\":true}").build();
        } catch (SQLException e) {
            return Response.status(503).entity(Json.createObjectBuilder().add("sqlState", String.valueOf(e.getSQLState()))
                    .add("message", String.valueOf(e.getMessage())).build()).build();
        }
    }

    private static DataSource lookup(String resource) {
        try {
            return (DataSource) new InitialContext().lookup(resource);
        } catch (NamingException e) {
            throw new IllegalStateException("no pool " + resource, e);
        }
    }
}
