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
}
