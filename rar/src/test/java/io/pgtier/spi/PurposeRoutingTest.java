package io.pgtier.spi;

import static io.pgtier.spi.TestPool.serverPort;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.pgtier.harness.PgHarness;
import io.pgtier.harness.PgServer;
import io.pgtier.harness.Replication;
import io.pgtier.tier.NoTierAvailableException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Tiers that are different servers of one replicated cluster: a primary and two streaming
 * standbys. READ_WRITE is only ever served by the writable server; READ_ONLY prefers the standbys
 * and spreads across them. The last test crashes the primary.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PurposeRoutingTest {

    private PgHarness harness;
    private PgServer primary;
    private PgServer standby1;
    private PgServer standby2;

    @BeforeAll
    void startCluster() {
        harness = PgHarness.create();
        primary = harness.startPrimary("primary");
        standby1 = harness.startStandby("standby1", primary, Replication.ASYNC);
        standby2 = harness.startStandby("standby2", primary, Replication.ASYNC);
    }

    @AfterAll
    void stopCluster() {
        harness.close();
    }

    @Test
    @Order(1)
    @DisplayName("a READ_ONLY pool is served by the standbys, spread evenly across them, not by the primary")
    void readOnlySpreadsAcrossStandbys() throws Exception {
        try (TestPool pool = TestPool.start(TestPool.factory("reads", "READ_ONLY",
                primary.jdbcUrl(), standby1.jdbcUrl(), standby2.jdbcUrl()))) {
            // The walk learns a tier's role from its first session: warm up with one connection per tier.
            List<Connection> held = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                held.add(pool.connection());
            }
            List<Integer> ports = new ArrayList<>();
            for (Connection c : held) {
                ports.add(serverPort(c));
            }
            long onPrimary = ports.stream().filter(p -> p == primary.port()).count();
            long on1 = ports.stream().filter(p -> p == standby1.port()).count();
            long on2 = ports.stream().filter(p -> p == standby2.port()).count();
            assertThat(onPrimary).as("the primary serves reads only until its role is known; ports %s", ports).isLessThanOrEqualTo(1);
            assertThat(on1 + on2).isGreaterThanOrEqualTo(5);
            assertThat(Math.abs(on1 - on2)).as("spread across the standbys: %s", ports).isLessThanOrEqualTo(1);
            for (Connection c : held) {
                c.close();
            }
        }
    }

    @Test
    @Order(2)
    @DisplayName("a READ_WRITE pool whose backup and failover are standbys is served by the primary")
    void readWriteOnPrimary() throws Exception {
        try (TestPool pool = TestPool.start(TestPool.factory("writes", "READ_WRITE",
                primary.jdbcUrl(), standby1.jdbcUrl(), standby2.jdbcUrl()));
             Connection c = pool.connection()) {
            assertThat(serverPort(c)).isEqualTo(primary.port());
            c.createStatement().execute("CREATE TABLE IF NOT EXISTS written(id int)");
        }
    }

    @Test
    @Order(3)
    @DisplayName("READ_WRITE with the primary listed last still skips the standbys in front of it")
    void readWriteSkipsStandbyTiers() throws Exception {
        try (TestPool pool = TestPool.start(TestPool.factory("standby-first", "READ_WRITE",
                standby1.jdbcUrl(), standby2.jdbcUrl(), primary.jdbcUrl()));
             Connection c = pool.connection()) {
            assertThat(serverPort(c)).isEqualTo(primary.port());
            assertThat(pool.adapter.tiers().all()).allSatisfy(t -> assertThat(t.openConnections())
                    .as("standby sessions were closed, not kept: %s", t).isLessThanOrEqualTo(1));
            assertThat(TestPool.sessionsOn(standby1, "standby-first") + TestPool.sessionsOn(standby2, "standby-first"))
                    .isZero();
        }
    }

    @Test
    @Order(4)
    @DisplayName("primary crashed, only standbys up: READ_WRITE gets a clear error, never a standby; READ_ONLY keeps working")
    void neverWritesOnAStandby() throws Exception {
        try (TestPool writes = TestPool.start(TestPool.factory("rw-after-crash", "READ_WRITE",
                primary.jdbcUrl(), standby1.jdbcUrl(), standby2.jdbcUrl()));
             TestPool reads = TestPool.start(TestPool.factory("ro-after-crash", "READ_ONLY",
                primary.jdbcUrl(), standby1.jdbcUrl(), standby2.jdbcUrl()))) {
            primary.crash();

            for (int attempt = 0; attempt < 3; attempt++) {
                SQLException error = catchThrowableOfType(SQLException.class, writes::connection);
                assertThat((Throwable) error).isInstanceOf(NoTierAvailableException.class);
                assertThat(error.getMessage()).as("the first attempt saw the refusal, later ones the breaker it opened, with why")
                        .contains("pgtier[rw-after-crash]", "primary: ", "08001", "backup:", "failover:");
                assertThat(error.getMessage()).containsPattern("backup: [^;]*standby");
            }
            assertThat(TestPool.sessionsOn(standby1, "rw-after-crash") + TestPool.sessionsOn(standby2, "rw-after-crash"))
                    .as("no READ_WRITE session is left on a standby").isZero();

            try (Connection c = reads.connection()) {
                assertThat(serverPort(c)).isIn(standby1.port(), standby2.port());
            }
        }
    }
}
