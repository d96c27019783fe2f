package io.pgtier.spi;

import static io.pgtier.spi.TestPool.serverPort;
import static io.pgtier.spi.TestPool.sessionsOn;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import io.pgtier.api.Role;
import io.pgtier.api.TierId;
import io.pgtier.harness.PgHarness;
import io.pgtier.harness.PgServer;
import io.pgtier.tier.Tier;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Connections that must not be reused are retired — never taken from a bean mid-use: idle ones
 * are reported by {@code getInvalidConnections}, in-use ones end with an error event when their
 * last handle is returned.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RetireTest {

    private PgHarness harness;
    private PgServer primary;
    private PgServer backup;

    @BeforeAll
    void start() {
        harness = PgHarness.create();
        primary = harness.startPrimary("primary");
        backup = harness.startPrimary("backup");
        primary.execute("CREATE TABLE t(id int)");
        backup.execute("CREATE TABLE t(id int)");
    }

    @AfterAll
    void stop() {
        harness.close();
    }

    @Test
    @DisplayName("a new tier generation (failback, drain): in-use connections keep working and retire on return, idle ones are invalid")
    void retiredGeneration() throws Exception {
        try (TestPool pool = TestPool.start(TestPool.factory("generation", "READ_WRITE", primary.jdbcUrl(), backup.jdbcUrl(), null))) {
            Connection inUse = pool.connection();
            pool.connection().close();
            assertThat(sessionsOn(primary, "generation")).isEqualTo(2);

            tier(pool, TierId.PRIMARY).retireConnections();

            assertThat(serverPort(inUse)).as("not taken from the bean mid-use").isEqualTo(primary.port());
            assertThat(pool.manager.purgeInvalid(pool.factory)).as("the idle one is reported invalid").isEqualTo(1);
            inUse.close();
            assertThat(pool.manager.errors).as("returned with an error event, which ends it").hasSize(1);
            assertThat(sessionsOn(primary, "generation")).isZero();

            try (Connection fresh = pool.connection()) {
                assertThat(serverPort(fresh)).as("new connections of the new generation").isEqualTo(primary.port());
            }
            assertThat(pool.manager.idleCount()).isEqualTo(1);
        }
    }

    @Test
    @DisplayName("a drained tier takes no new connections: they go to the next tier")
    void drainedTier() throws Exception {
        try (TestPool pool = TestPool.start(TestPool.factory("drain", "READ_WRITE", primary.jdbcUrl(), backup.jdbcUrl(), null))) {
            pool.connection().close();
            tier(pool, TierId.PRIMARY).drain();

            try (Connection c = pool.connection()) {
                assertThat(serverPort(c)).isEqualTo(backup.port());
            }
            assertThat(pool.manager.purgeInvalid(pool.factory)).as("the idle primary session, not matched, is invalid").isEqualTo(1);
            assertThat(sessionsOn(primary, "drain")).isZero();
            tier(pool, TierId.PRIMARY).resume();
        }
    }

    @Test
    @DisplayName("a connection older than maxLifetimeSeconds is retired when returned")
    void maxLifetime() throws Exception {
        PgTierManagedConnectionFactory factory = TestPool.factory("lifetime", "READ_WRITE", primary.jdbcUrl(), null, null);
        factory.setMaxLifetimeSeconds(1);
        try (TestPool pool = TestPool.start(factory)) {
            Connection c = pool.connection();
            ConnectionHandle handle = (ConnectionHandle) c;
            await().atMost(Duration.ofSeconds(10)).until(() -> handle.owner().fitness().ageNanos() > 1_000_000_000L);

            c.close();

            assertThat(pool.manager.destroyed.get()).isEqualTo(1);
            assertThat(sessionsOn(primary, "lifetime")).isZero();
        }
    }

    @Test
    @DisplayName("a demoted server (25006 on a READ_WRITE pool) ends the connection and writes move to the next tier at once")
    void demotion() throws Exception {
        PgServer demoted = harness.startPrimary("demoted");
        demoted.execute("CREATE TABLE t(id int)");
        try (TestPool pool = TestPool.start(TestPool.factory("demotion", "READ_WRITE", demoted.jdbcUrl(), backup.jdbcUrl(), null))) {
            pool.connection().close();
            demoted.makeReadOnly();

            SQLException error;
            try (Connection c = pool.connection()) {
                assertThat(serverPort(c)).isEqualTo(demoted.port());
                error = catchThrowableOfType(SQLException.class, () -> c.createStatement().execute("INSERT INTO t VALUES (1)"));
            }

            assertThat(error.getSQLState()).isEqualTo("25006");
            assertThat(pool.manager.errors).hasSize(1);
            assertThat(tier(pool, TierId.PRIMARY).role()).isEqualTo(Role.STANDBY);
            try (Connection c = pool.connection()) {
                assertThat(serverPort(c)).isEqualTo(backup.port());
                c.createStatement().execute("INSERT INTO t VALUES (2)");
            }
        }
    }

    private static Tier tier(TestPool pool, TierId id) {
        return pool.adapter.tiers().all().stream().filter(t -> t.id() == id).findFirst().orElseThrow();
    }
}
