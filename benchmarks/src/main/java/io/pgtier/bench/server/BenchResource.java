package io.pgtier.bench.server;

import io.pgtier.api.TieredConnection;
import io.pgtier.api.TieredDataSource;
import jakarta.annotation.Resource;
import jakarta.ejb.EJB;
import jakarta.enterprise.concurrent.ContextService;
import jakarta.enterprise.context.RequestScoped;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;

/**
 * The in-server half of the benchmark. {@code run} measures one variant on server threads (with
 * the application's context, so container resources behave as for a request), so HTTP is not in
 * the figures; {@code op} is one call for the failover workload, answering the tier that served.
 */
@Path("")
@RequestScoped
@Produces(MediaType.APPLICATION_JSON)
public class BenchResource {

    @Resource(lookup = "jca/bench-pgtier")
    DataSource pgtier;

    @Resource(lookup = "jdbc/bench-payara")
    DataSource payara;

    @Resource(lookup = "jca/bench-failover")
    DataSource failover;

    @Resource
    ContextService context;

    @EJB
    BenchBean bean;

    @GET
    @Path("ping")
    public String ping() {
        return "{\"ready\":true}";
    }

    /**
     * @param pool   {@code pgtier} or {@code payara}
     * @param via    {@code direct} (no transaction: autocommit) or {@code ejb} (REQUIRED transaction per call)
     * @param select whether the call runs {@code SELECT 1}
     */
    @GET
    @Path("run")
    public JsonObject run(@QueryParam("pool") String pool, @QueryParam("via") String via, @QueryParam("select") boolean select,
            @QueryParam("callers") int callers, @QueryParam("millis") long millis) throws InterruptedException {
        DataSource dataSource = switch (pool) {
            case "pgtier" -> pgtier;
            case "payara" -> payara;
            default -> throw new IllegalArgumentException("pool: pgtier or payara, not " + pool);
        };
        Loop.Call call = switch (via) {
            case "direct" -> () -> Operation.once(dataSource, select);
            case "ejb" -> () -> bean.once(dataSource, select);
            default -> throw new IllegalArgumentException("via: direct or ejb, not " + via);
        };
        Loop.Result r = Loop.run(callers, millis, caller -> call,
                body -> context.createContextualProxy(body, Runnable.class));
        return json(r);
    }

    /** CPU time the adapter's health monitor has used so far, in microseconds. */
    @GET
    @Path("monitor-cpu")
    public String monitorCpu() throws SQLException {
        return "{\"micros\":" + pgtier.unwrap(TieredDataSource.class).status().monitorCpuMicros() + "}";
    }

    /** One acquire + {@code SELECT 1} + release on the failover pool: 200 with the tier, or 503 with the SQLSTATE. */
    @GET
    @Path("op")
    public Response op() {
        try (Connection c = failover.getConnection()) {
            Operation.selectOne(c);
            String tier = c.unwrap(TieredConnection.class).tier().label();
            return Response.ok("{\"tier\":\"" + tier + "\"}").build();
        } catch (SQLException e) {
            return Response.status(503).entity(Json.createObjectBuilder().add("sqlState", String.valueOf(e.getSQLState()))
                    .add("message", String.valueOf(e.getMessage())).build()).build();
        }
    }

    static JsonObject json(Loop.Result r) {
        JsonObjectBuilder b = Json.createObjectBuilder()
                .add("calls", r.calls()).add("seconds", r.seconds()).add("perSecond", r.perSecond())
                .add("p50Micros", r.p50Micros()).add("p99Micros", r.p99Micros()).add("errors", r.errors());
        if (r.firstError() != null) {
            b.add("firstError", r.firstError());
        }
        return b.build();
    }
}
