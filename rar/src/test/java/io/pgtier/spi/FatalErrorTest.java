package io.pgtier.spi;

import static io.pgtier.spi.TestPool.serverPort;
import static io.pgtier.spi.TestPool.sessionsOn;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.pgtier.api.TierId;
import io.pgtier.harness.PgHarness;
import io.pgtier.harness.PgServer;
import jakarta.resource.spi.ConnectionEvent;
import jakarta.resource.spi.LocalTransaction;
import jakarta.resource.spi.ManagedConnection;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.postgresql.PGConnection;

/**
 * Never fail over inside a transaction: a fatal error ends that managed connection (the container
 * is told, on the bean's thread) and surfaces to the bean; the work is not replayed on another tier.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FatalErrorTest {

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
    @DisplayName("the server ends the session mid-transaction: 57P01 reaches the bean, the connection is destroyed, nothing committed anywhere")
    void terminatedMidTransaction() throws Exception {
        PgServer primary = harness.startPrimary("terminate-primary");
        PgServer backup = harness.startPrimary("terminate-backup");
        primary.execute("CREATE TABLE work(id int)");
        backup.execute("CREATE TABLE work(id int)");
        try (TestPool pool = TestPool.start(TestPool.factory("terminate", "READ_WRITE", primary.jdbcUrl(), backup.jdbcUrl(), null))) {
            Connection c = pool.connection();
            c.setAutoCommit(false);
            c.createStatement().execute("INSERT INTO work VALUES (1)");
            int pid = c.unwrap(PGConnection.class).getBackendPID();
            Thread bean = Thread.currentThread();

            primary.execute("SELECT pg_terminate_backend(" + pid + ")");
            SQLException error = catchThrowableOfType(SQLException.class,
                    () -> c.createStatement().execute("INSERT INTO work VALUES (2)"));

            assertThat(error.getSQLState()).isIn("57P01", "08006");
            assertThat(pool.manager.errors).as("CONNECTION_ERROR_OCCURRED fired once").hasSize(1);
            ConnectionEvent event = pool.manager.errors.get(0);
            assertThat(event.getException()).isSameAs(error);
            assertThat(bean).as("fired on the bean's thread").isSameAs(Thread.currentThread());
            assertThat(pool.manager.destroyed.get()).isEqualTo(1);
            assertThat(c.isClosed()).as("the bean's handle is dead too").isTrue();
            assertThat(count(primary, "SELECT count(*) FROM work") + count(backup, "SELECT count(*) FROM work"))
                    .as("no row on either tier").isZero();
            assertThat(tierOpen(pool, TierId.PRIMARY)).as("cap slot released").isZero();
            assertThat(tierAcquired(pool, TierId.BACKUP)).as("the work did not move to the backup").isZero();

            try (Connection next = pool.connection()) {
                assertThat(serverPort(next)).as("the next request gets a healthy tier").isEqualTo(primary.port());
            }
        }
    }

    @Test
    @DisplayName("the primary crashes during a local transaction: the error surfaces, rollback-only, the next connection is on the backup")
    void crashMidLocalTransaction() throws Exception {
        PgServer primary = harness.startPrimary("crash-primary");
        PgServer backup = harness.startPrimary("crash-backup");
        primary.execute("CREATE TABLE work(id int)");
        backup.execute("CREATE TABLE work(id int)");
        try (TestPool pool = TestPool.start(TestPool.factory("crash", "READ_WRITE", primary.jdbcUrl(), backup.jdbcUrl(), null))) {
            ManagedConnection mc = pool.factory.createManagedConnection(null, null);
            mc.addConnectionEventListener(pool.manager);
            LocalTransaction tx = mc.getLocalTransaction();
            Connection c = (Connection) mc.getConnection(null, null);
            tx.begin();
            c.createStatement().execute("INSERT INTO work VALUES (1)");

            primary.crash();
            SQLException error = catchThrowableOfType(SQLException.class,
                    () -> c.createStatement().execute("INSERT INTO work VALUES (2)"));

            assertThat(error.getSQLState()).startsWith("08");
            assertThat(pool.manager.errors).hasSize(1);
            assertThat(count(backup, "SELECT count(*) FROM work")).as("nothing replayed on the backup").isZero();
            try (Connection next = pool.connection()) {
                assertThat(serverPort(next)).isEqualTo(backup.port());
            }
            primary.start();
            assertThat(count(primary, "SELECT count(*) FROM work")).as("the crashed transaction is gone").isZero();
            assertThat(sessionsOn(backup, "crash")).isEqualTo(1);
        }
    }

    private static long tierAcquired(TestPool pool, TierId id) {
        return pool.dataSource.tiers().stream().filter(t -> t.id() == id).findFirst().orElseThrow().acquired();
    }

    private static int tierOpen(TestPool pool, TierId id) {
        return pool.dataSource.tiers().stream().filter(t -> t.id() == id).findFirst().orElseThrow().openConnections();
    }

    private static int count(PgServer server, String sql) throws SQLException {
        try (Connection c = server.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
