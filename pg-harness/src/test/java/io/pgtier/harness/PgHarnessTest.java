package io.pgtier.harness;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.net.ConnectException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.postgresql.Driver;

/**
 * The harness against itself: each fault it offers has the effect a client would see.
 * One primary with a synchronous and an asynchronous standby, shared by the tests that only read
 * them; tests that break a server make their own.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PgHarnessTest {

    private PgHarness harness;
    private PgServer primary;
    private PgServer syncStandby;
    private PgServer asyncStandby;

    @BeforeAll
    void startCluster() {
        harness = PgHarness.create();
        primary = harness.startPrimary("primary");
        syncStandby = harness.startStandby("sync", primary, Replication.SYNC);
        asyncStandby = harness.startStandby("async", primary, Replication.ASYNC);
        System.out.println("[pg-harness] PostgreSQL " + harness.postgresVersion() + ", servers run as "
                + (harness.runsServersAsNobody() ? "nobody" : System.getProperty("user.name")));
    }

    @AfterAll
    void stopCluster() {
        harness.close();
    }

    @Test
    @DisplayName("a row committed on the primary is read on both standbys")
    void replicatesToStandbys() throws SQLException {
        primary.execute("CREATE TABLE replicated(id int PRIMARY KEY, note text)");
        primary.execute("INSERT INTO replicated VALUES (1, 'hello standby')");

        for (PgServer standby : new PgServer[] {syncStandby, asyncStandby}) {
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    assertThat(queryString(standby, "SELECT note FROM replicated WHERE id = 1"))
                            .as("row on %s", standby.name()).isEqualTo("hello standby"));
            assertThat(queryString(standby, "SELECT pg_is_in_recovery()::text")).isEqualTo("true");
        }
        assertThat(queryString(primary, "SELECT string_agg(application_name || ':' || sync_state, ',' ORDER BY application_name)"
                + " FROM pg_stat_replication")).isEqualTo("async:async,sync:sync");
    }

    @Test
    @DisplayName("a standby refuses writes with SQLSTATE 25006")
    void standbyRefusesWrites() {
        assertThatThrownBy(() -> syncStandby.execute("CREATE TABLE nope(id int)"))
                .hasRootCauseInstanceOf(SQLException.class)
                .rootCause().extracting(e -> ((SQLException) e).getSQLState()).isEqualTo("25006");
    }

    @Test
    @DisplayName("max_prepared_transactions is set, so PREPARE TRANSACTION works (XA needs it)")
    void preparedTransactions() throws SQLException {
        assertThat(queryString(primary, "SHOW max_prepared_transactions")).isEqualTo("20");
        try (Connection c = primary.connect(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS xa_probe(id int)");
            c.setAutoCommit(false);
            s.execute("INSERT INTO xa_probe VALUES (7)");
            s.execute("PREPARE TRANSACTION 'harness-probe'");
            c.setAutoCommit(true);
            assertThat(queryString(primary, "SELECT count(*)::text FROM pg_prepared_xacts WHERE gid = 'harness-probe'"))
                    .isEqualTo("1");
            s.execute("COMMIT PREPARED 'harness-probe'");
        }
        assertThat(queryString(primary, "SELECT count(*)::text FROM xa_probe WHERE id = 7")).isEqualTo("1");
    }

    @Test
    @DisplayName("after a crash, connecting is refused; after a start it answers again")
    void crashRefusesConnections() throws SQLException {
        PgServer server = harness.startPrimary("crashme");
        server.crash();

        assertThatThrownBy(server::connect)
                .isInstanceOf(SQLException.class)
                .hasRootCauseInstanceOf(ConnectException.class)
                .extracting(e -> ((SQLException) e).getSQLState()).isEqualTo("08001");

        server.start();
        assertThat(queryString(server, "SELECT 1::text")).isEqualTo("1");
    }

    @Test
    @DisplayName("during a hang a query times out, also on a connection opened before; after resume it answers")
    void hangAndResume() throws SQLException {
        PgServer server = harness.startPrimary("hangme");
        try (Connection before = server.connect(); Connection untouched = server.connect()) {
            server.hang();
            before.setNetworkTimeout(Executors.newSingleThreadExecutor(), 1_000);
            long start = System.nanoTime();
            assertThatThrownBy(() -> before.createStatement().executeQuery("SELECT 1"))
                    .isInstanceOf(SQLException.class)
                    .extracting(e -> ((SQLException) e).getSQLState()).isEqualTo("08006");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofMillis(900), Duration.ofSeconds(10));

            server.resume();
            assertThat(queryString(server, "SELECT 2::text")).isEqualTo("2");
            try (Statement s = untouched.createStatement(); ResultSet rs = s.executeQuery("SELECT 3")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getInt(1)).as("a connection opened before the hang answers after resume").isEqualTo(3);
            }
        }
    }

    @Test
    @DisplayName("a promoted standby accepts writes")
    void promote() throws SQLException {
        PgServer own = harness.startPrimary("promote-primary");
        PgServer standby = harness.startStandby("promote-standby", own, Replication.ASYNC);
        own.crash();

        standby.promote();

        standby.execute("CREATE TABLE after_promotion(id int)");
        standby.execute("INSERT INTO after_promotion VALUES (1)");
        assertThat(queryString(standby, "SELECT pg_is_in_recovery()::text")).isEqualTo("false");
    }

    @Test
    @DisplayName("a primary made read-only refuses writes with 25006, and takes them again when made writable")
    void readOnly() throws SQLException {
        PgServer server = harness.startPrimary("readonly");
        server.execute("CREATE TABLE ro(id int)");

        server.makeReadOnly();
        assertThatThrownBy(() -> server.execute("INSERT INTO ro VALUES (1)"))
                .rootCause().extracting(e -> ((SQLException) e).getSQLState()).isEqualTo("25006");

        server.makeWritable();
        server.execute("INSERT INTO ro VALUES (1)");
        assertThat(queryString(server, "SELECT count(*)::text FROM ro")).isEqualTo("1");
    }

    @Test
    @DisplayName("through a black-holed proxy, a connect times out at loginTimeout (connectTimeout alone would not)")
    void blackholeTimesOut() throws SQLException {
        FaultProxy proxy = harness.proxy("to-primary-bh", primary);
        assertThat(queryVia(proxy, 5, "SELECT 'through'")).isEqualTo("through");

        proxy.blackhole();
        long start = System.nanoTime();
        assertThatThrownBy(() -> queryVia(proxy, 2, "SELECT 1"))
                .isInstanceOf(SQLException.class)
                .extracting(e -> ((SQLException) e).getSQLState()).isEqualTo("08001");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofMillis(1_900), Duration.ofSeconds(10));

        proxy.pass();
        assertThat(queryVia(proxy, 5, "SELECT 'again'")).isEqualTo("again");
    }

    @Test
    @DisplayName("a proxy reset breaks an open connection with 08006 and refuses new ones until pass")
    void resetBreaksConnections() throws SQLException {
        FaultProxy proxy = harness.proxy("to-primary-rst", primary);
        try (Connection c = connectVia(proxy, 5)) {
            assertThat(proxy.openConnections()).isEqualTo(1);

            proxy.reset();

            assertThatThrownBy(() -> c.createStatement().executeQuery("SELECT 1"))
                    .isInstanceOf(SQLException.class)
                    .extracting(e -> ((SQLException) e).getSQLState()).isEqualTo("08006");
            assertThatThrownBy(() -> connectVia(proxy, 5)).isInstanceOf(SQLException.class)
                    .extracting(e -> ((SQLException) e).getSQLState()).asString().startsWith("08");
        }
        proxy.pass();
        assertThat(queryVia(proxy, 5, "SELECT 'back'")).isEqualTo("back");
    }

    @Test
    @DisplayName("a latency proxy adds its delay to every round trip")
    void latency() throws SQLException {
        FaultProxy proxy = harness.proxy("to-primary-slow", primary);
        try (Connection c = connectVia(proxy, 5); Statement s = c.createStatement()) {
            proxy.latency(Duration.ofMillis(200));
            long start = System.nanoTime();
            s.executeQuery("SELECT 1").close();
            // one request and one response chunk, each delayed
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(400));
        }
    }

    private static String queryString(PgServer server, String sql) throws SQLException {
        try (Connection c = server.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static Connection connectVia(FaultProxy proxy, int loginTimeoutSeconds) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", PgServer.USER);
        p.setProperty("password", PgHarness.PASSWORD);
        p.setProperty("connectTimeout", "2");
        p.setProperty("loginTimeout", String.valueOf(loginTimeoutSeconds));
        p.setProperty("socketTimeout", "10");
        return new Driver().connect(proxy.jdbcUrl(), p);
    }

    private static String queryVia(FaultProxy proxy, int loginTimeoutSeconds, String sql) throws SQLException {
        try (Connection c = connectVia(proxy, loginTimeoutSeconds); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
