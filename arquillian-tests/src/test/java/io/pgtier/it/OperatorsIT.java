package io.pgtier.it;

import static io.pgtier.it.MicroApp.get;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgtier.harness.FaultProxy;
import io.pgtier.harness.PgHarness;
import io.pgtier.harness.PgServer;
import io.pgtier.it.jmx.JmxEndpoint;
import java.io.IOException;
import java.net.URL;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * An operator's actions in Payara Micro, on pools whose tiers are two routes to one server (so the
 * server's {@code pg_stat_activity} tells, by client port, which route a session came through):
 * over REST, only an authenticated user of the file realm in group {@code pgtier-operator}, with
 * the {@code X-Requested-By} header, may act; anyone else changes nothing. A drain moves the pool's
 * sessions off the tier, and a resume moves them back. A planned switchover under 8 callers doing
 * transfers fails none of them. The pool's MXBean, as the adapter registered it in Payara, acts too.
 */
@ExtendWith(ArquillianExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OperatorsIT {

    private static final String OPERATOR_PASSWORD = "ops-pw-2718";
    private static final String STAFF_PASSWORD = "staff-pw-3141";

    private static PgHarness harness;
    private static PgServer server;
    private static FaultProxy primaryRoute;
    private static FaultProxy backupRoute;

    @ArquillianResource
    private URL app;

    @Deployment(testable = false)
    static WebArchive deployment() throws IOException {
        harness = PgHarness.create();
        server = harness.startPrimary("ops");
        Bank.open(server);
        primaryRoute = harness.proxy("ops-primary-route", server);
        backupRoute = harness.proxy("ops-backup-route", server);
        Path work = Path.of(System.getProperty("pgtier.work"));
        Files.createDirectories(work);
        Path operator = Files.writeString(work.resolve("operator.password"), "AS_ADMIN_USERPASSWORD=" + OPERATOR_PASSWORD + "\n");
        Path staff = Files.writeString(work.resolve("staff.password"), "AS_ADMIN_USERPASSWORD=" + STAFF_PASSWORD + "\n");
        MicroApp.writePostBoot(primaryRoute.jdbcUrl(), backupRoute.jdbcUrl(), "", MicroApp.FAST_MONITOR, List.of(
                "create-file-user --groups pgtier-operator --passwordfile " + operator + " ops",
                "create-file-user --groups staff --passwordfile " + staff + " staffer",
                // The container's resizer validates idle connections every idle timeout (default 300 s):
                // one the adapter could not claim as idle at the moment of the action retires then.
                "set resources.connector-connection-pool.pgtier-rw.idle-timeout-in-seconds=3"));
        return MicroApp.war().addClass(JmxEndpoint.class);
    }

    @AfterAll
    static void stopServers() {
        if (harness != null) {
            harness.close();
        }
    }

    @Test
    @Order(1)
    @DisplayName("anonymous, wrong-role and header-less calls are refused (401, 403, 400) and change nothing")
    void onlyOperatorsAct() {
        String drain = "/pgtier-web/api/pools/pgtier-rw/tiers/primary/drain";
        assertThat(post(drain, null, null, true).statusCode()).as("anonymous").isEqualTo(401);
        assertThat(post(drain, "staffer", STAFF_PASSWORD, true).statusCode()).as("wrong role").isEqualTo(403);
        assertThat(post(drain, "ops", "not-the-password", true).statusCode()).as("wrong password").isEqualTo(401);
        assertThat(post(drain, "ops", OPERATOR_PASSWORD, false).statusCode()).as("no X-Requested-By").isEqualTo(400);

        assertThat(status()).as("nothing changed").contains("\"id\":\"primary\",\"endpoint\"")
                .doesNotContain("DRAINED").doesNotContain("PGT-306");
    }

    @Test
    @Order(2)
    @DisplayName("an operator drains the primary: the pool's new and idle sessions move to the backup route; resume moves them back")
    void drainAndResume() {
        work(20);
        int acceptedBefore = backupRoute.acceptedConnections();

        HttpResponse<String> drained = post("/pgtier-web/api/pools/pgtier-rw/tiers/primary/drain", "ops", OPERATOR_PASSWORD, true);

        assertThat(drained.statusCode()).as(drained.body()).isEqualTo(200);
        assertThat(drained.body()).contains("\"state\":\"DRAINED\"").contains("\"actor\":\"ops\"").contains("PGT-306");
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            work(5);
            assertThat(readWritePool()).as("the pool holds no session on the drained tier")
                    .containsPattern("\"sessions\":\\{\"primary\":0,\"backup\":[1-9]");
        });
        assertThat(backupRoute.acceptedConnections()).as("new sessions went through the backup route").isGreaterThan(acceptedBefore);

        HttpResponse<String> resumed = post("/pgtier-web/api/pools/pgtier-rw/tiers/primary/resume", "ops", OPERATOR_PASSWORD, true);

        assertThat(resumed.statusCode()).as(resumed.body()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            work(5);
            assertThat(readWritePool()).containsPattern("\"sessions\":\\{\"primary\":[1-9][0-9]*,\"backup\":0");
        });
        assertThat(status()).contains("PGT-308");
    }

    @Test
    @Order(3)
    @DisplayName("a planned switchover under 8 callers: prefer the backup route, drain the primary; no transfer fails, the primary"
            + " route holds no pool session; resume, and the primary serves again")
    void plannedSwitchover() throws Exception {
        try (TransferLoad load = new TransferLoad(app, 8).start()) {
            load.awaitSuccessesVia("primary", 0, 20, Duration.ofSeconds(30));
            assertThat(poolSessionsVia(primaryRoute)).as("pool sessions through the primary route before").isPositive();

            long switched = System.nanoTime();
            assertThat(post("/pgtier-web/api/pools/pgtier-rw/tiers/backup/prefer", "ops", OPERATOR_PASSWORD, true)
                    .statusCode()).isEqualTo(200);
            load.awaitSuccessesVia("backup", switched, 20, Duration.ofSeconds(30));
            HttpResponse<String> drained = post("/pgtier-web/api/pools/pgtier-rw/tiers/primary/drain", "ops", OPERATOR_PASSWORD, true);
            assertThat(drained.statusCode()).as(drained.body()).isEqualTo(200);
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(poolSessionsVia(primaryRoute))
                    .as("pool sessions through the primary route, in pg_stat_activity").isZero());
            long resumed = System.nanoTime();
            for (String tier : List.of("primary", "backup")) {
                // Resuming the backup ends the pool's preference for it: walk order again.
                assertThat(post("/pgtier-web/api/pools/pgtier-rw/tiers/" + tier + "/resume", "ops", OPERATOR_PASSWORD, true)
                        .statusCode()).isEqualTo(200);
            }
            load.awaitSuccessesVia("primary", resumed, 20, Duration.ofSeconds(60));
            load.stop();

            System.out.println("OperatorsIT switchover: " + load.summary());
            assertThat(load.failuresBetween(0, System.nanoTime())).as("transfers failed by the switchover").isEmpty();
            Bank.assertConsistent(load, List.of(server));
        }
    }

    @Test
    @Order(4)
    @DisplayName("JMX in the container: the pool's MXBean drains the backup route (its sessions leave) and resumes it")
    void jmxActs() {
        HttpResponse<String> tiers = get(app, "api/jmx/pgtier-rw/tiers");
        assertThat(tiers.statusCode()).as(tiers.body()).isEqualTo(200);
        assertThat(tiers.body()).contains("primary UP").contains("backup UP");
        // Sessions on the backup route, so the drain has something to move.
        assertThat(post("/pgtier-web/api/pools/pgtier-rw/tiers/backup/prefer", "ops", OPERATOR_PASSWORD, true).statusCode())
                .isEqualTo(200);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            work(5);
            assertThat(poolSessionsVia(backupRoute)).isPositive();
        });

        HttpResponse<String> drained = MicroApp.post(app, "api/jmx/pgtier-rw/drain/backup");

        assertThat(drained.statusCode()).as(drained.body()).isEqualTo(200);
        assertThat(drained.body().lines()).as("the JMX call's own event")
                .anyMatch(line -> line.contains("PGT-306") && line.contains("tier backup") && line.contains("(by jmx"));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            work(5);
            assertThat(poolSessionsVia(backupRoute)).as("pool sessions through the drained route").isZero();
        });
        assertThat(get(app, "api/jmx/pgtier-rw/tiers").body()).contains("backup DRAINED");

        assertThat(MicroApp.post(app, "api/jmx/pgtier-rw/resume/backup").statusCode()).isEqualTo(200);
        assertThat(get(app, "api/jmx/pgtier-rw/tiers").body()).contains("backup UP");
    }

    /** The pools' sessions (not the monitor's probes) that came through {@code route}, as the server lists them. */
    private static int poolSessionsVia(FaultProxy route) throws java.sql.SQLException {
        java.util.Set<Integer> ports = route.serverSidePorts();
        try (java.sql.Connection c = server.connect(); java.sql.Statement s = c.createStatement();
             java.sql.ResultSet rs = s.executeQuery("SELECT client_port FROM pg_stat_activity"
                     + " WHERE application_name IN ('pgtier-pgtier-rw', 'pgtier-pgtier-ro')")) {
            int n = 0;
            while (rs.next()) {
                n += ports.contains(rs.getInt(1)) ? 1 : 0;
            }
            return n;
        }
    }

    /** CMT work on the READ_WRITE pool, as a bean's callers make it. */
    private void work(int calls) {
        for (int i = 0; i < calls; i++) {
            HttpResponse<String> r = MicroApp.post(app, "api/examples/notes?text=ops-work");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        }
    }

    /** The READ_WRITE pool's object in /api/status, alone: the READ_ONLY pool shares its tiers. */
    private String readWritePool() {
        String all = status();
        int start = all.indexOf("{\"resource\":\"jca/pgtier\"");
        int end = all.indexOf("{\"resource\":", start + 1);
        assertThat(start).as(all).isNotNegative();
        return end < 0 ? all.substring(start) : all.substring(start, end);
    }

    private String status() {
        HttpResponse<String> r = get(app, "api/status");
        assertThat(r.statusCode()).isEqualTo(200);
        return r.body();
    }

    private HttpResponse<String> post(String path, String user, String password, boolean requestedBy) {
        return MicroApp.postAs(app, path, user, password, requestedBy ? "OperatorsIT" : null);
    }
}
