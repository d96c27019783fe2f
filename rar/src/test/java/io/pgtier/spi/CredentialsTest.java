package io.pgtier.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.pgtier.api.TierState;
import io.pgtier.harness.PgHarness;
import io.pgtier.harness.PgServer;
import io.pgtier.ra.HealthMonitor;
import io.pgtier.ra.PgTierResourceAdapter;
import io.pgtier.tier.Tier;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Credentials never cross pools: two pools of one adapter share a tier (same URL and user), each
 * signing on with its own password, and the monitor probes only with a password the server took.
 * The server's log of failed logins is the ground truth.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CredentialsTest {

    private PgHarness harness;
    private PgServer server;

    @BeforeAll
    void start() {
        harness = PgHarness.create();
        server = harness.startPrimary("credentials");
    }

    @AfterAll
    void stop() {
        harness.close();
    }

    @Test
    @DisplayName("two pools on one tier, one password wrong: the other pool serves, the tier stays UP, the monitor never signs on with the wrong one")
    void wrongPasswordOfAnotherPool() throws Exception {
        server.execute("CREATE ROLE app1 LOGIN PASSWORD 'right-pw-1'");
        PgTierResourceAdapter adapter = new PgTierResourceAdapter();
        // The wrong pool names the tier first: the tier used to keep (and probe with) its password.
        try (TestPool wrong = TestPool.start(adapter, pool("wrong-pool", "app1", "wrong-pw-1"));
             TestPool good = TestPool.start(adapter, pool("good-pool", "app1", "right-pw-1"))) {
            try (Connection c = good.connection()) {
                assertThat(c.isValid(5)).isTrue();
            }
            HealthMonitor monitor = new HealthMonitor(adapter.tiers(), Runnable::run, 5, 2, (t, stalled) -> { });
            for (int i = 0; i < 3; i++) {
                monitor.round();
            }

            Tier tier = good.factory.runtime().tiers().get(0);
            assertThat(wrong.factory.runtime().tiers().get(0)).as("one shared tier").isSameAs(tier);
            assertThat(tier.state()).isEqualTo(TierState.UP);
            assertThat(failedLogins("app1")).as("failed logins, all the monitor's: the wrong pool has not tried yet").isZero();
            SQLException refused = catchThrowableOfType(SQLException.class, wrong::connection);
            assertThat(refused.getSQLState()).isEqualTo("28P01");
            assertThat(refused.getMessage()).contains("pgtier[wrong-pool]").doesNotContain("wrong-pw-1").doesNotContain("right-pw-1");
            try (Connection c = good.connection()) {
                assertThat(c.isValid(5)).as("the good pool still serves").isTrue();
            }
        }
    }

    @Test
    @DisplayName("before any pool connected, the newest password is wrong: the monitor tries it once, then keeps to the right one")
    void wrongPasswordNewestBeforeAnyConnect() throws Exception {
        server.execute("CREATE ROLE app3 LOGIN PASSWORD 'right-pw-3'");
        PgTierResourceAdapter adapter = new PgTierResourceAdapter();
        try (TestPool good = TestPool.start(adapter, pool("good-pool-3", "app3", "right-pw-3"));
             TestPool wrong = TestPool.start(adapter, pool("wrong-pool-3", "app3", "wrong-pw-3"))) {
            HealthMonitor monitor = new HealthMonitor(adapter.tiers(), Runnable::run, 5, 2, (t, stalled) -> { });
            for (int i = 0; i < 5; i++) {
                monitor.round();
            }

            assertThat(good.factory.runtime().tiers().get(0).state()).isEqualTo(TierState.UP);
            assertThat(failedLogins("app3")).as("failed logins over 5 rounds: the wrong password, once").isEqualTo(1);
        }
    }

    @Test
    @DisplayName("every password wrong: the monitor tries each once, then the newest once a minute, not every round")
    void everyPasswordWrong() throws Exception {
        server.execute("CREATE ROLE app4 LOGIN PASSWORD 'right-pw-4'");
        PgTierResourceAdapter adapter = new PgTierResourceAdapter();
        try (TestPool a = TestPool.start(adapter, pool("wrong-a-4", "app4", "wrong-a"));
             TestPool b = TestPool.start(adapter, pool("wrong-b-4", "app4", "wrong-b"))) {
            HealthMonitor monitor = new HealthMonitor(adapter.tiers(), Runnable::run, 5, 2, (t, stalled) -> { });
            for (int i = 0; i < 6; i++) {
                monitor.round();
            }

            assertThat(failedLogins("app4")).as("failed logins over 6 rounds: each password once, then one retry").isEqualTo(3);
            assertThat(a.factory.runtime().tiers().get(0).state()).as("not held against the server").isNotEqualTo(TierState.DOWN);
        }
    }

    @Test
    @DisplayName("a rotated password: the pool re-created with the new one serves at once, a session opened before finishes its work, and the monitor moves to the new password after one refusal")
    void rotation() throws Exception {
        server.execute("CREATE ROLE app2 LOGIN PASSWORD 'old-pw-2'");
        PgTierResourceAdapter adapter = new PgTierResourceAdapter();
        HealthMonitor monitor = new HealthMonitor(adapter.tiers(), Runnable::run, 5, 2, (t, stalled) -> { });
        try (TestPool before = TestPool.start(adapter, pool("rotating", "app2", "old-pw-2"))) {
            Connection open = before.connection();
            monitor.round();
            Tier tier = before.factory.runtime().tiers().get(0);
            assertThat(tier.state()).isEqualTo(TierState.UP);

            // The DBA rotates the password; the operator updates the alias and the pool property,
            // and the container creates the pool anew.
            server.execute("ALTER ROLE app2 PASSWORD 'new-pw-2'");
            try (TestPool after = TestPool.start(adapter, pool("rotating", "app2", "new-pw-2"));
                 Connection fresh = after.connection()) {
                assertThat(fresh.isValid(5)).as("new connections use the new password").isTrue();
                try (Statement s = open.createStatement()) {
                    s.execute("SELECT 1");
                }
                open.close();

                monitor.round();
                monitor.round();

                assertThat(tier.state()).isEqualTo(TierState.UP);
                assertThat(failedLogins("app2")).as("failed logins after the rotation, all the monitor's").isLessThanOrEqualTo(1);
            }
        }
    }

    @Test
    @DisplayName("a pool re-created with a new password, as Payara does on a property change: the old factory, which beans still hold,"
            + " signs on with the new one; a factory with the same settings (a ping) replaces nothing")
    void oldFactoryFollowsTheRecreatedPool() throws Exception {
        server.execute("CREATE ROLE app5 LOGIN PASSWORD 'old-pw-5'");
        PgTierResourceAdapter adapter = new PgTierResourceAdapter();
        try (TestPool before = TestPool.start(adapter, pool("recreated", "app5", "old-pw-5"));
             TestPool twin = TestPool.start(adapter, pool("recreated", "app5", "old-pw-5"))) {
            assertThat(twin.factory.runtime()).as("a same-settings factory works through the first pool").isSameAs(before.factory.runtime());
            PoolRuntime old = before.factory.runtime();

            server.execute("ALTER ROLE app5 PASSWORD 'new-pw-5'");
            try (TestPool after = TestPool.start(adapter, pool("recreated", "app5", "new-pw-5"))) {
                assertThat(before.factory.runtime()).as("the old factory's pool").isSameAs(after.factory.runtime()).isNotSameAs(old);
                assertThat(before.factory).as("equal to its successor: Payara compares them on every allocation").isEqualTo(after.factory);
                try (Connection c = before.connection()) {
                    assertThat(c.isValid(5)).as("a new connection through the old factory, with the new password").isTrue();
                }
            }
        }
    }

    @Test
    @DisplayName("no succession between different pools: one of the same name with another purpose (PGT-232), or pools left unnamed")
    void differentPoolsNeverSucceedEachOther() throws Exception {
        PgTierResourceAdapter adapter = new PgTierResourceAdapter();
        PgTierManagedConnectionFactory readOnly = pool("same-name", PgServer.USER, PgHarness.PASSWORD);
        readOnly.setPurpose("READ_ONLY");
        PgTierManagedConnectionFactory unnamedA = pool("pgtier", PgServer.USER, PgHarness.PASSWORD);
        PgTierManagedConnectionFactory unnamedB = pool("pgtier", PgServer.USER, PgHarness.PASSWORD);
        unnamedB.setMaxLifetimeSeconds(600);
        try (TestPool writes = TestPool.start(adapter, pool("same-name", PgServer.USER, PgHarness.PASSWORD));
             TestPool reads = TestPool.start(adapter, readOnly);
             TestPool a = TestPool.start(adapter, unnamedA);
             TestPool b = TestPool.start(adapter, unnamedB)) {
            assertThat(writes.factory.runtime().settings().purpose()).hasToString("READ_WRITE");
            assertThat(reads.factory.runtime().settings().purpose()).hasToString("READ_ONLY");
            assertThat(a.factory.runtime()).isNotSameAs(b.factory.runtime());
        }
    }

    @Test
    @DisplayName("the container destroys a connection whose local transaction is under way (Payara re-creating the pool):"
            + " the session finishes that transaction, commits, then closes, and the container hears nothing more of it")
    void destroyedDuringALocalTransaction() throws Exception {
        server.execute("CREATE TABLE IF NOT EXISTS detached(n int)");
        try (TestPool pool = TestPool.start(pool("detaching", PgServer.USER, PgHarness.PASSWORD))) {
            jakarta.resource.spi.ManagedConnection mc = pool.factory.createManagedConnection(null, null);
            java.util.List<jakarta.resource.spi.ConnectionEvent> heard = new java.util.concurrent.CopyOnWriteArrayList<>();
            mc.addConnectionEventListener(new jakarta.resource.spi.ConnectionEventListener() {
                public void connectionClosed(jakarta.resource.spi.ConnectionEvent event) { heard.add(event); }
                public void localTransactionStarted(jakarta.resource.spi.ConnectionEvent event) { }
                public void localTransactionCommitted(jakarta.resource.spi.ConnectionEvent event) { }
                public void localTransactionRolledback(jakarta.resource.spi.ConnectionEvent event) { }
                public void connectionErrorOccurred(jakarta.resource.spi.ConnectionEvent event) { heard.add(event); }
            });
            jakarta.resource.spi.LocalTransaction tx = mc.getLocalTransaction();
            Connection c = (Connection) mc.getConnection(null, null);
            tx.begin();
            c.createStatement().execute("INSERT INTO detached VALUES (1)");

            mc.destroy();
            c.createStatement().execute("INSERT INTO detached VALUES (2)");
            c.close();
            assertThat(TestPool.sessionsOn(server, "detaching")).as("the session, until its transaction ends").isEqualTo(1);
            tx.commit();

            assertThat(count("SELECT count(*) FROM detached")).as("both rows, committed").isEqualTo(2);
            assertThat(TestPool.sessionsOn(server, "detaching")).as("the session after the commit").isZero();
            assertThat(heard).as("events the container heard after destroy").isEmpty();
            mc.destroy(); // a second destroy changes nothing
        }
    }

    private long count(String sql) throws SQLException {
        try (Connection c = server.connect(); Statement s = c.createStatement(); java.sql.ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private PgTierManagedConnectionFactory pool(String name, String user, String password) {
        PgTierManagedConnectionFactory f = TestPool.factory(name, "READ_WRITE", server.jdbcUrl(), null, null);
        f.setUser(user);
        f.setPassword(password);
        return f;
    }

    /**
     * Failed logins of {@code user}, as the server logged them (it cannot name the application of
     * a login that failed: the tests count before a pool of theirs tries a wrong password).
     */
    private long failedLogins(String user) {
        return server.log().lines().filter(l -> l.contains("password authentication failed for user \"" + user + "\"")).count();
    }
}
