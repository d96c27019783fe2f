package io.pgtier.spi;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtier.harness.PgHarness;
import io.pgtier.harness.PgServer;
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
 * Each kind of session state a bean can change, set by one bean and not seen by the next one that
 * gets the same session (same backend process), on a real server.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SessionResetTest {

    private PgHarness harness;
    private PgServer server;
    private TestPool pool;

    @FunctionalInterface
    interface Bean {
        void use(Connection c) throws Exception;
    }

    @BeforeAll
    void start() throws Exception {
        harness = PgHarness.create();
        server = harness.startPrimary("reset");
        server.execute("CREATE ROLE reporting NOLOGIN");
        server.execute("CREATE TABLE kept(id int PRIMARY KEY)");
        pool = TestPool.start(TestPool.factory("reset", "READ_WRITE", server.jdbcUrl(), null, null));
    }

    @AfterAll
    void stop() {
        pool.close();
        harness.close();
    }

    /** The first bean changes the session; the second, on the same backend, checks it sees none of it. */
    private void firstThenNext(Bean first, Bean next) throws Exception {
        int pid;
        try (Connection c = pool.connection()) {
            pid = pid(c);
            first.use(c);
        }
        try (Connection c = pool.connection()) {
            assertThat(pid(c)).as("the next bean got the same session").isEqualTo(pid);
            next.use(c);
        }
    }

    @Test
    @DisplayName("network timeout: the tier's socket timeout is back (it bounds hangs)")
    void networkTimeout() throws Exception {
        firstThenNext(c -> c.setNetworkTimeout(Runnable::run, 0),
                c -> assertThat(c.getNetworkTimeout()).isEqualTo(10_000));
    }

    @Test
    void holdability() throws Exception {
        firstThenNext(c -> c.setHoldability(java.sql.ResultSet.HOLD_CURSORS_OVER_COMMIT),
                c -> assertThat(c.getHoldability()).isEqualTo(java.sql.ResultSet.CLOSE_CURSORS_AT_COMMIT));
    }

    @Test
    @DisplayName("client info: ApplicationName, by which sessions are counted, is the pool's again")
    void clientInfo() throws Exception {
        firstThenNext(c -> c.setClientInfo("ApplicationName", "someone-else"), c -> {
            assertThat(c.getClientInfo("ApplicationName")).isEqualTo("pgtier-reset");
            assertThat(text(c, "SELECT current_setting('application_name')")).isEqualTo("pgtier-reset");
        });
    }

    @Test
    @DisplayName("SQL SET of a setting")
    void sqlSet() throws Exception {
        firstThenNext(c -> execute(c, "SET statement_timeout = '1234s'"),
                c -> assertThat(text(c, "SHOW statement_timeout")).isEqualTo("0"));
    }

    @Test
    @DisplayName("set_config(…, false) in a SELECT")
    void setConfig() throws Exception {
        firstThenNext(c -> execute(c, "SELECT set_config('work_mem', '77MB', false)"),
                c -> assertThat(text(c, "SHOW work_mem")).isNotEqualTo("77MB"));
    }

    @Test
    @DisplayName("SET ROLE and SET SESSION AUTHORIZATION")
    void roles() throws Exception {
        firstThenNext(c -> execute(c, "SET ROLE reporting"),
                c -> assertThat(text(c, "SELECT current_user")).isEqualTo(PgServer.USER));
        firstThenNext(c -> execute(c, "SET SESSION AUTHORIZATION reporting"), c -> {
            assertThat(text(c, "SELECT session_user")).isEqualTo(PgServer.USER);
            assertThat(text(c, "SELECT current_user")).isEqualTo(PgServer.USER);
        });
    }

    @Test
    @DisplayName("a session-level advisory lock is released")
    void advisoryLock() throws Exception {
        firstThenNext(c -> execute(c, "SELECT pg_advisory_lock(4242)"),
                c -> assertThat(count("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 4242"))
                        .isZero());
    }

    @Test
    @DisplayName("LISTEN: the channel is no longer listened on, and no notification is passed on")
    void listen() throws Exception {
        firstThenNext(c -> {
            execute(c, "LISTEN orders_changed");
            server.execute("NOTIFY orders_changed, 'for the first bean'");
        }, c -> {
            assertThat(text(c, "SELECT count(*) FROM pg_listening_channels()")).isEqualTo("0");
            org.postgresql.PGNotification[] left = c.unwrap(PGConnection.class).getNotifications();
            assertThat(left == null ? 0 : left.length).isZero();
        });
    }

    @Test
    @DisplayName("a temporary table is dropped")
    void temporaryTable() throws Exception {
        firstThenNext(c -> execute(c, "CREATE TEMPORARY TABLE scratch(x int)"),
                c -> assertThat(text(c, "SELECT to_regclass('pg_temp.scratch') IS NULL")).isEqualTo("t"));
    }

    @Test
    @DisplayName("a cursor WITH HOLD and an SQL-level prepared statement are gone")
    void cursorsAndPrepared() throws Exception {
        firstThenNext(c -> {
            c.setAutoCommit(false);
            execute(c, "DECLARE held CURSOR WITH HOLD FOR SELECT 1");
            c.commit();
            c.setAutoCommit(true);
            execute(c, "PREPARE mine AS SELECT 1");
        }, c -> {
            assertThat(text(c, "SELECT count(*) FROM pg_cursors WHERE name = 'held'")).isEqualTo("0");
            execute(c, "PREPARE mine AS SELECT 2");
        });
    }

    @Test
    @DisplayName("driver settings changed through unwrap(PGConnection)")
    void driverSettings() throws Exception {
        firstThenNext(c -> {
            PGConnection pg = c.unwrap(PGConnection.class);
            pg.setPrepareThreshold(1);
            pg.setDefaultFetchSize(7);
        }, c -> {
            PGConnection pg = c.unwrap(PGConnection.class);
            assertThat(pg.getPrepareThreshold()).isEqualTo(5);
            assertThat(pg.getDefaultFetchSize()).isZero();
        });
    }

    @Test
    @DisplayName("isolation and schema set through JDBC")
    void isolationAndSchema() throws Exception {
        firstThenNext(c -> {
            c.setTransactionIsolation(Connection.TRANSACTION_SERIALIZABLE);
            c.setSchema("pg_catalog");
        }, c -> {
            assertThat(c.getTransactionIsolation()).isEqualTo(Connection.TRANSACTION_READ_COMMITTED);
            assertThat(c.getSchema()).isEqualTo("public");
        });
    }

    @Test
    @DisplayName("a local transaction the container left open is rolled back when the connection returns")
    void abandonedLocalTransaction() throws Exception {
        ManagedConnection mc = pool.factory.createManagedConnection(null, null);
        try {
            LocalTransaction tx = mc.getLocalTransaction();
            Connection c = (Connection) mc.getConnection(null, null);
            int pid = pid(c);
            tx.begin();
            execute(c, "INSERT INTO kept VALUES (1)");

            mc.cleanup();

            assertThat(count("SELECT count(*) FROM pg_stat_activity WHERE pid = " + pid + " AND state = 'idle'"))
                    .as("no transaction left open on the session").isEqualTo(1);
            tx.begin();
            Connection next = (Connection) mc.getConnection(null, null);
            execute(next, "INSERT INTO kept VALUES (2)");
            tx.commit();
            assertThat(count("SELECT count(*) FROM kept")).as("only the next bean's row").isEqualTo(1);
        } finally {
            mc.destroy();
        }
    }

    @Test
    @DisplayName("BEGIN sent as SQL with autocommit on: the open transaction is rolled back, not passed on")
    void sqlBegin() throws Exception {
        firstThenNext(c -> {
            execute(c, "BEGIN");
            execute(c, "INSERT INTO kept VALUES (5)");
        }, c -> assertThat(text(c, "SELECT count(*) FROM kept WHERE id = 5")).isEqualTo("0"));
        assertThat(count("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgtier-reset'"
                + " AND state = 'idle in transaction'")).isZero();
    }

    @Test
    @DisplayName("a session nobody changed is handed on without a reset; settings cost RESET ALL, not DISCARD ALL")
    void resetOnlyWhatWasTouched() throws Exception {
        try (Connection c = pool.connection()) {
            SessionReset reset = ((ConnectionHandle) c).owner().reset();
            for (String plain : java.util.List.of("SELECT 1", "SELECT x FROM (VALUES ('SET in a string; COMMIT')) v(x)",
                    "SELECT attempts, template FROM (VALUES (1, 2)) v(attempts, template)",
                    "SET LOCAL work_mem = '8MB'", "SELECT $$; LISTEN x$$")) {
                execute(c, plain);
                assertThat(reset.dirty()).as(plain).isZero();
            }
            execute(c, "SET statement_timeout = '5s'");
            assertThat(reset.dirty()).as("settings only: RESET ALL, not DISCARD ALL").isEqualTo(SessionReset.SETTINGS);
            execute(c, "CREATE TEMP TABLE t_reset(x int)");
            assertThat(reset.dirty() & SessionReset.DISCARD).isNotZero();
        }
    }

    /** By SQL, not unwrap: unwrapping to PGConnection is itself a change the reset tracks. */
    private static int pid(Connection c) throws SQLException {
        return Integer.parseInt(text(c, "SELECT pg_backend_pid()"));
    }

    private static void execute(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    private static String text(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private int count(String sql) throws SQLException {
        try (Connection c = server.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
