package io.pgtier.spi;

import static io.pgtier.spi.TestPool.serverPort;
import static io.pgtier.spi.TestPool.sessionsOn;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.pgtier.api.TierId;
import io.pgtier.harness.FaultProxy;
import io.pgtier.harness.PgHarness;
import io.pgtier.harness.PgServer;
import io.pgtier.tier.NoTierAvailableException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Choosing a tier when a connection is created, on three real writable servers (one per tier):
 * the walk goes primary → backup → failover and, when none answers, one error names them all.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FailoverOnConnectTest {

    private PgHarness harness;
    private PgServer primary;
    private PgServer backup;
    private PgServer failover;

    @BeforeAll
    void startServers() {
        harness = PgHarness.create();
        primary = harness.startPrimary("primary");
        backup = harness.startPrimary("backup");
        failover = harness.startPrimary("failover");
    }

    @AfterAll
    void stopServers() {
        harness.close();
    }

    @Test
    @DisplayName("with the primary up, every new connection is on the primary, and the server counts what the adapter holds")
    void primaryServesAll() throws Exception {
        try (TestPool pool = TestPool.start(TestPool.factory("all-primary", "READ_WRITE",
                primary.jdbcUrl(), backup.jdbcUrl(), failover.jdbcUrl()))) {
            assertThat(sessionsOn(primary, "all-primary")).as("before").isZero();

            List<Connection> held = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                held.add(pool.connection());
            }
            for (Connection c : held) {
                assertThat(serverPort(c)).isEqualTo(primary.port());
            }
            assertThat(sessionsOn(primary, "all-primary")).as("during").isEqualTo(5);
            assertThat(pool.adapter.tiers().all()).filteredOn(t -> t.id() == TierId.PRIMARY)
                    .singleElement().satisfies(t -> assertThat(t.openConnections()).isEqualTo(5));
            assertThat(sessionsOn(backup, "all-primary") + sessionsOn(failover, "all-primary")).isZero();

            for (Connection c : held) {
                c.close();
            }
            assertThat(sessionsOn(primary, "all-primary")).as("returned to the pool, still open").isEqualTo(5);
            pool.close();
            assertThat(sessionsOn(primary, "all-primary")).as("after destroy").isZero();
            assertThat(pool.adapter.tiers().all()).allSatisfy(t -> assertThat(t.openConnections()).isZero());
        }
    }

    @Test
    @DisplayName("primary crashed: backup serves; backup crashed too: failover; all down: one SQLException naming all three")
    void walksDownTheTiers() throws Exception {
        PgServer p = harness.startPrimary("walk-primary");
        PgServer b = harness.startPrimary("walk-backup");
        PgServer f = harness.startPrimary("walk-failover");
        try (TestPool pool = TestPool.start(TestPool.factory("walk", "READ_WRITE", p.jdbcUrl(), b.jdbcUrl(), f.jdbcUrl()))) {
            p.crash();
            try (Connection c = pool.connection()) {
                assertThat(serverPort(c)).as("primary crashed").isEqualTo(b.port());
            }

            b.crash();
            pool.manager.close();
            try (Connection c = pool.connection()) {
                assertThat(serverPort(c)).as("primary and backup crashed").isEqualTo(f.port());
            }

            f.crash();
            pool.manager.close();
            long start = System.nanoTime();
            SQLException error = catchThrowableOfType(SQLException.class, pool::connection);
            Duration took = Duration.ofNanos(System.nanoTime() - start);

            assertThat((Throwable) error).isInstanceOf(NoTierAvailableException.class);
            assertThat(error.getSQLState()).isEqualTo("08001");
            assertThat(error.getMessage())
                    .startsWith("pgtier[walk] no tier could serve READ_WRITE within")
                    .contains("primary: 08001", "backup: 08001", "failover: 08001")
                    .doesNotContain(PgHarness.PASSWORD);
            assertThat(took).as("refused connections fail well within the connect timeouts").isLessThan(Duration.ofSeconds(6));
        } finally {
            p.start();
            b.start();
            f.start();
        }
    }

    @Test
    @DisplayName("all tiers black-holed (accept, never answer): the error comes within the login timeouts, naming each tier")
    void allHungFailsWithinTimeouts() throws Exception {
        FaultProxy toP = harness.proxy("bh-primary", primary);
        FaultProxy toB = harness.proxy("bh-backup", backup);
        FaultProxy toF = harness.proxy("bh-failover", failover);
        PgTierManagedConnectionFactory factory = TestPool.factory("hung", "READ_WRITE", toP.jdbcUrl(), toB.jdbcUrl(), toF.jdbcUrl());
        factory.setLoginTimeoutSeconds(2);
        try (TestPool pool = TestPool.start(factory)) {
            toP.blackhole();
            toB.blackhole();
            toF.blackhole();

            long start = System.nanoTime();
            SQLException error = catchThrowableOfType(SQLException.class, pool::connection);
            Duration took = Duration.ofNanos(System.nanoTime() - start);

            assertThat(error.getMessage()).contains("primary: 08001", "backup: 08001", "failover: 08001");
            assertThat(took).as("three attempts of loginTimeoutSeconds=2 each")
                    .isBetween(Duration.ofSeconds(5), Duration.ofSeconds(12));

            toB.pass();
            try (Connection c = pool.connection()) {
                assertThat(serverPort(c)).as("the backup route answers again").isEqualTo(backup.port());
            }
        } finally {
            toP.pass();
            toF.pass();
        }
    }

    @Test
    @DisplayName("a full tier cap sends new connections to the next tier")
    void capFullGoesToNextTier() throws Exception {
        PgTierManagedConnectionFactory factory = TestPool.factory("capped", "READ_WRITE", primary.jdbcUrl(), backup.jdbcUrl(), null);
        factory.setPrimaryMaxConnections(2);
        try (TestPool pool = TestPool.start(factory);
             Connection a = pool.connection(); Connection b = pool.connection(); Connection c = pool.connection()) {
            assertThat(List.of(serverPort(a), serverPort(b), serverPort(c)))
                    .containsExactly(primary.port(), primary.port(), backup.port());
            assertThat(sessionsOn(primary, "capped")).isEqualTo(2);
        }
    }
}
