package io.pgtier.it;

import static io.pgtier.it.MicroApp.get;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgtier.harness.PgHarness;
import io.pgtier.harness.PgServer;
import io.pgtier.harness.Replication;
import java.net.URL;
import java.net.http.HttpResponse;
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
 * Tiers that are servers of one replicated cluster: the primary, a synchronous standby behind the
 * backup tier and an asynchronous one behind the failover tier. The test plays the cluster's HA
 * manager: it promotes the synchronous standby after the primary crashes. pgtier never promotes;
 * it finds the writable server. Then the old primary comes back read-only and must never be
 * written to.
 */
@ExtendWith(ArquillianExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterFaultsIT {

    private static final int CALLERS = 8;

    private static PgHarness harness;
    private static PgServer primary;
    private static PgServer syncStandby;
    private static PgServer asyncStandby;
    private static TransferLoad crashLoad;

    @ArquillianResource
    private URL app;

    @Deployment(testable = false)
    static WebArchive deployment() {
        harness = PgHarness.create();
        primary = harness.startPrimary("primary");
        Bank.open(primary);
        syncStandby = harness.startStandby("sync-standby", primary, Replication.SYNC);
        asyncStandby = harness.startStandby("async-standby", primary, Replication.ASYNC);
        MicroApp.writePostBoot(primary.jdbcUrl(), syncStandby.jdbcUrl(), asyncStandby.jdbcUrl(),
                // Once its server is promoted the backup tier carries both pools (READ_WRITE max 10,
                // READ_ONLY max 8): its cap is sized for their sum, as the README advises.
                MicroApp.FAST_POOLS + ":backupMaxConnections=18:failoverMaxConnections=18",
                MicroApp.FAST_MONITOR,
                List.of());
        return MicroApp.war();
    }

    @AfterAll
    static void stopServers() {
        if (harness != null) {
            harness.close();
        }
    }

    @Test
    @Order(0)
    @DisplayName("the primary's postmaster alone stops (its sessions answer) and no other tier can write: no session is aborted,"
            + " no transfer fails, and the READ_WRITE pool opens nothing on the standbys")
    void postmasterOnlyHang() throws Exception {
        try (TransferLoad load = new TransferLoad(app, CALLERS).start()) {
            // GIVEN transfers committing on the primary, and the sessions they use
            load.awaitSuccessesVia("primary", 0, 20, Duration.ofSeconds(60));
            List<Integer> sessionsBefore = pids(primary, "pgtier-rw");

            // WHEN the postmaster stops (new sessions hang; the backends keep serving) until the tier is declared down
            long hung = System.nanoTime();
            primary.hangPostmaster();
            try {
                await().atMost(Duration.ofSeconds(30)).until(() -> get(app, "api/status").body()
                        .matches("(?s).*\"pool\":\"pgtier-rw\".*?\"id\":\"primary\"[^}]*\"state\":\"DOWN\".*"));
                long down = System.nanoTime();
                load.awaitSuccessesVia("primary", down, 200, Duration.ofSeconds(60));
                assertThat(MicroApp.sessions(syncStandby, "pgtier-rw") + MicroApp.sessions(asyncStandby, "pgtier-rw"))
                        .as("READ_WRITE sessions on the standbys").isZero();
            } finally {
                primary.resumePostmaster();
            }
            load.stop();

            // THEN every transfer committed, on the sessions that were open before
            assertThat(load.failuresBetween(hung, System.nanoTime())).as("transfers that failed during the hang").isEmpty();
            assertThat(pids(primary, "pgtier-rw")).as("sessions kept through the down verdict").containsAll(sessionsBefore);
            Bank.assertConsistent(load, List.of(primary));
        }
    }

    /** Backend pids of a pool's sessions on a server. */
    private static List<Integer> pids(PgServer server, String pool) throws java.sql.SQLException {
        List<Integer> pids = new java.util.ArrayList<>();
        try (var c = server.connect(); var s = c.createStatement();
             var rs = s.executeQuery("SELECT pid FROM pg_stat_activity WHERE application_name = 'pgtier-" + pool + "'")) {
            while (rs.next()) {
                pids.add(rs.getInt(1));
            }
        }
        return pids;
    }

    @Test
    @Order(1)
    @DisplayName("the primary crashes: writes fail fast with a clear error and reads go on; after promotion writes resume there, nothing committed is lost")
    void primaryCrashesThenPromotion() throws Exception {
        try (TransferLoad load = new TransferLoad(app, CALLERS).start()) {
            crashLoad = load;
            load.awaitSuccessesVia("primary", 0, 20, Duration.ofSeconds(60));

            long crash = System.nanoTime();
            primary.crash();
            await().atMost(Duration.ofSeconds(30)).until(() -> load.failuresBetween(crash, System.nanoTime()).stream()
                    .anyMatch(c -> c.body().contains("standby")));
            long detected = System.nanoTime();
            // Before promotion: every write fails, fast, naming the tiers; reads keep working on a standby.
            await().atMost(Duration.ofSeconds(10)).until(() -> load.failuresBetween(detected, System.nanoTime()).size() >= 30);
            List<TransferLoad.Call> refused = load.failuresBetween(detected, System.nanoTime()).stream()
                    .filter(c -> c.startNanos() > detected).toList();
            Duration slowest = refused.stream().map(TransferLoad.Call::took).max(Duration::compareTo).orElseThrow();
            System.out.printf("[figures] primary crashed, before promotion: %d writes refused, the slowest in %d ms: %s%n",
                    refused.size(), slowest.toMillis(), refused.get(0).body());
            assertThat(refused.get(0).body()).contains("pgtier[pgtier-rw]", "primary:", "backup:", "failover:", "standby");
            assertThat(slowest).as("refused fast, not after timeouts").isLessThan(Duration.ofSeconds(3));
            HttpResponse<String> read = get(app, "api/examples/server-readonly");
            assertThat(read.statusCode()).as(read.body()).isEqualTo(200);
            assertThat(read.body()).contains("standby");

            long promoted = System.nanoTime();
            syncStandby.promote();
            load.awaitSuccessesVia("backup", promoted, 20, Duration.ofSeconds(30));
            load.stop();

            Figures.report("primary crashed (from the crash)", load, crash, "backup");
            Figures.report("primary crashed (from the promotion)", load, promoted, "backup");
            Bank.assertConsistent(load, List.of(syncStandby));
        }
    }

    @Test
    @Order(2)
    @DisplayName("the old primary comes back read-only while the promoted standby is primary: no write is attempted on it")
    void oldPrimaryReturnsReadOnly() throws Exception {
        primary.configure("default_transaction_read_only = on");
        primary.start();
        List<String> before = Bank.ids(primary);

        try (TransferLoad load = new TransferLoad(app, CALLERS).start()) {
            long back = System.nanoTime();
            await().atMost(Duration.ofSeconds(30)).until(() -> get(app, "api/status").body()
                    .matches("(?s).*\"id\":\"primary\"[^}]*\"state\":\"UP\"[^}]*\"role\":\"STANDBY\".*"));
            // Past the failback time (3 s) the returned server is up and off probation, yet writes must
            // stay away from it: keep transferring until plenty have committed after that point.
            long probationOver = System.nanoTime() + Duration.ofSeconds(4).toNanos();
            load.awaitSuccessesVia("backup", probationOver, 100, Duration.ofSeconds(60));
            load.stop();

            assertThat(load.calls()).as("no transfer failed: none was tried on the read-only server")
                    .allMatch(c -> c.status() == 200, "committed");
            assertThat(load.calls()).allMatch(c -> "backup".equals(c.tier()), "served by the promoted standby");
            assertThat(Bank.ids(primary)).as("nothing written on the old primary").containsExactlyInAnyOrderElementsOf(before);
            Bank.assertConsistent(List.of(crashLoad, load), List.of(syncStandby));
        }
        Figures.awaitSteady(app, java.util.Map.of("primary", primary, "backup", syncStandby, "failover", asyncStandby));
    }
}
