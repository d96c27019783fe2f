package io.pgtier.spi;

import static io.pgtier.spi.TestPool.serverPort;
import static io.pgtier.spi.TestPool.sessionsOn;
import static org.assertj.core.api.Assertions.assertThat;

import io.pgtier.harness.PgHarness;
import io.pgtier.harness.PgServer;
import io.pgtier.ra.HealthMonitor;
import io.pgtier.tier.Tier;
import java.sql.Connection;
import java.sql.Statement;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A server that crashes and is back before the monitor's next probe is never seen down, yet every
 * session opened on its previous run is gone. The probe compares the server's start time; the
 * sessions opened before it are ended (their cap slots freed), those opened after are left alone.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ServerRestartTest {

    private PgHarness harness;

    @BeforeAll
    void start() {
        harness = PgHarness.create();
    }

    @AfterAll
    void stop() {
        harness.close();
    }

    @Test
    @DisplayName("a restart between two probes ends the sessions of the previous run only: the cap counts what the server has")
    void restartBetweenProbesEndsOldSessionsOnly() throws Exception {
        PgServer primary = harness.startPrimary("restart-primary");
        PgTierManagedConnectionFactory oldFactory = TestPool.factory("restart-old", "READ_WRITE", primary.jdbcUrl(), null, null);
        PgTierManagedConnectionFactory newFactory = TestPool.factory("restart-new", "READ_WRITE", primary.jdbcUrl(), null, null);
        try (TestPool oldPool = TestPool.start(oldFactory);
             TestPool newPool = TestPool.start(oldPool.adapter, newFactory)) {
            Tier tier = oldPool.adapter.tiers().all().iterator().next();
            HealthMonitor monitor = new HealthMonitor(oldPool.adapter.tiers(), Runnable::run, 2, 2, oldFactory.runtime());
            HealthMonitor newPoolMonitor = new HealthMonitor(oldPool.adapter.tiers(), Runnable::run, 2, 2, newFactory.runtime());
            Connection first = oldPool.connection();
            Connection second = oldPool.connection();
            first.close();
            second.close();
            monitor.round();
            newPoolMonitor.round();
            assertThat(tier.openConnections()).isEqualTo(2);

            primary.crash();
            primary.start();
            try (Connection afterRestart = newPool.connection()) {
                assertThat(tier.openConnections()).as("two from before the crash, one since").isEqualTo(3);
                monitor.round();
                newPoolMonitor.round();

                assertThat(tier.state()).as("never seen down").isEqualTo(io.pgtier.api.TierState.UP);
                assertThat(tier.openConnections()).as("the slots of the lost sessions are free").isEqualTo(1);
                try (Statement s = afterRestart.createStatement()) {
                    assertThat(s.execute("SELECT 1")).as("the session opened after the restart is untouched").isTrue();
                }
                try (Connection next = oldPool.connection()) {
                    assertThat(serverPort(next)).isEqualTo(primary.port());
                    assertThat(oldPool.manager.errors).as("no bean was handed a lost session").isEmpty();
                }
                assertThat(sessionsOn(primary, "restart-old") + sessionsOn(primary, "restart-new"))
                        .as("server sessions = what the tier counts").isEqualTo(tier.openConnections());
            }
        }
    }

    @Test
    @DisplayName("a backend crash re-initialises the server (postmaster start time unchanged): seen, and the lost sessions ended")
    void backendCrashIsSeen() throws Exception {
        PgServer primary = harness.startPrimary("reinit-primary");
        PgTierManagedConnectionFactory factory = TestPool.factory("reinit", "READ_WRITE", primary.jdbcUrl(), null, null);
        try (TestPool pool = TestPool.start(factory)) {
            Tier tier = pool.adapter.tiers().all().iterator().next();
            PoolRuntime runtime = factory.runtime();
            java.util.List<String> told = new java.util.concurrent.CopyOnWriteArrayList<>();
            io.pgtier.ra.TierDownListener recording = new io.pgtier.ra.TierDownListener() {
                @Override
                public void tierDown(Tier t, long stalledBeforeNanos) {
                    told.add("down");
                    runtime.tierDown(t, stalledBeforeNanos);
                }

                @Override
                public void serverRestarted(Tier t, String server, long startedAtMillis) {
                    told.add("restarted " + server);
                    runtime.serverRestarted(t, server, startedAtMillis);
                }
            };
            HealthMonitor monitor = new HealthMonitor(pool.adapter.tiers(), Runnable::run, 2, 2, recording);
            pool.connection().close();
            monitor.round();
            assertThat(tier.openConnections()).isEqualTo(1);

            // SIGKILL of one backend (its session kept open until then): the postmaster ends every
            // session and re-initialises.
            try (Connection victim = primary.connect(); Statement s = victim.createStatement();
                 java.sql.ResultSet rs = s.executeQuery("SELECT pg_backend_pid()")) {
                rs.next();
                ProcessHandle.of(rs.getLong(1)).orElseThrow().destroyForcibly();
            } catch (java.sql.SQLException closingTheKilledSession) {
                // its socket is gone
            }
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).ignoreExceptions()
                    .until(() -> {
                        try (Connection c = primary.connect()) {
                            return c.isValid(2);
                        }
                    });
            monitor.round();

            assertThat(told).as("a restart, not a down verdict").containsExactly("restarted 127.0.0.1:" + primary.port());
            assertThat(tier.openConnections()).as("the lost session's slot is free").isZero();
            try (Connection next = pool.connection()) {
                assertThat(serverPort(next)).isEqualTo(primary.port());
            }
            assertThat(sessionsOn(primary, "reinit")).isEqualTo(tier.openConnections());
        }
    }
}
