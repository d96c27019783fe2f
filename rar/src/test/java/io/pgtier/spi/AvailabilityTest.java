package io.pgtier.spi;

import static io.pgtier.spi.TestPool.serverPort;
import static io.pgtier.spi.TestPool.sessionsOn;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import io.pgtier.api.BreakerState;
import io.pgtier.api.TierId;
import io.pgtier.api.TierState;
import io.pgtier.harness.FaultProxy;
import io.pgtier.harness.PgHarness;
import io.pgtier.harness.PgServer;
import io.pgtier.harness.Replication;
import io.pgtier.ra.HealthMonitor;
import io.pgtier.ra.PgTierResourceAdapter;
import io.pgtier.tier.NoTierAvailableException;
import io.pgtier.tier.Tier;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The availability rule on real servers: a verdict may move work to a tier that can serve it, and
 * never takes away or refuses the best tier still able to serve. Each test is a fault where the
 * adapter once did worse than a plain pool on a pgjdbc URL would.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AvailabilityTest {

    private PgHarness harness;
    private PgServer server;
    private final ExecutorService work = Executors.newCachedThreadPool();

    @BeforeAll
    void start() {
        harness = PgHarness.create();
        server = harness.startPrimary("avail", "max_connections = 12");
    }

    @AfterAll
    void stop() {
        work.shutdownNow();
        harness.close();
    }

    @Test
    @DisplayName("the only tier's route resets for 1.5 s: getConnection rides through and succeeds as soon as the route is back;"
            + " without the window it fails")
    void ridesThroughABriefFault() throws Exception {
        FaultProxy route = harness.proxy("ride-route", server);
        PgTierManagedConnectionFactory factory = TestPool.factory("ride", "READ_WRITE", route.jdbcUrl(), null, null);
        PgTierManagedConnectionFactory noWindow = TestPool.factory("no-window", "READ_WRITE", route.jdbcUrl(), null, null);
        noWindow.setRideThroughMillis(0);
        PgTierResourceAdapter adapter = new PgTierResourceAdapter();
        try (TestPool pool = TestPool.start(adapter, factory); TestPool plain = TestPool.start(adapter, noWindow)) {
            route.reset();
            SQLException withoutWindow = catchThrowableOfType(SQLException.class, plain::connection);
            int before = route.acceptedConnections();
            // The route comes back once the caller has tried it (and been reset) three times: it is riding through.
            CompletableFuture<Void> heal = CompletableFuture.runAsync(() -> await().atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(5)).until(() -> route.acceptedConnections() - before >= 3), work)
                    .thenRun(route::pass);
            long start = System.nanoTime();
            try (Connection c = pool.connection()) {
                long healedAt = heal.isDone() ? System.nanoTime() : 0;
                heal.get(10, TimeUnit.SECONDS);
                assertThat(serverPort(c)).isEqualTo(server.port());
                System.out.printf("[figures] brief reset: served %d ms after the call started%n",
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
                assertThat(healedAt).as("served only once the route was back").isNotZero();
            }
            assertThat((Throwable) withoutWindow).as("rideThroughMillis=0 fails during the fault").isNotNull();
            assertThat(withoutWindow.getMessage()).contains("pgtier[no-window]", "primary: 08");
        } finally {
            route.pass();
        }
    }

    @Test
    @DisplayName("once an outage is older than the window, callers fail in milliseconds with every tier's reason; the tier's return serves at once")
    void failsFastAfterTheWindow() throws Exception {
        FaultProxy route = harness.proxy("fast-route", server);
        PgTierManagedConnectionFactory factory = TestPool.factory("fast", "READ_WRITE", route.jdbcUrl(), null, null);
        factory.setRideThroughMillis(1_000);
        try (TestPool pool = TestPool.start(factory)) {
            route.reset();
            long first = System.nanoTime();
            SQLException waited = catchThrowableOfType(SQLException.class, pool::connection);
            long firstMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - first);
            long second = System.nanoTime();
            SQLException fast = catchThrowableOfType(SQLException.class, pool::connection);
            long secondMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - second);
            System.out.printf("[figures] outage: first caller failed after %d ms (window 1000 ms), the next after %d ms%n",
                    firstMillis, secondMillis);

            assertThat(firstMillis).as("the first caller waited out the window").isGreaterThanOrEqualTo(900);
            assertThat(waited.getMessage()).contains("pgtier[fast] no tier could serve READ_WRITE", "primary:");
            assertThat(secondMillis).as("fails fast (target 50 ms; bound generous for a loaded machine)").isLessThan(500);
            assertThat(fast.getMessage()).contains("primary:");
            assertThat(fast.getSQLState()).startsWith("08");

            route.pass();
            long back = System.nanoTime();
            // Callers keep failing fast until a trial (at most the tier's attempt rate) finds the route back.
            Connection c = await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(10))
                    .ignoreException(NoTierAvailableException.class).until(pool::connection, java.util.Objects::nonNull);
            long servedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - back);
            System.out.printf("[figures] outage over: a caller served %d ms after the route was back%n", servedMillis);
            assertThat(serverPort(c)).isEqualTo(server.port());
            c.close();
        } finally {
            route.pass();
        }
    }

    @Test
    @DisplayName("the postmaster alone hangs and no other tier can write: the tier is declared down, yet its working sessions are kept and serve")
    void postmasterHangKeepsWorkingSessions() throws Exception {
        PgServer primary = harness.startPrimary("pm-primary");
        PgServer standby = harness.startStandby("pm-standby", primary, Replication.ASYNC);
        PgTierManagedConnectionFactory factory = TestPool.factory("pm", "READ_WRITE", primary.jdbcUrl(), standby.jdbcUrl(), null);
        try (TestPool pool = TestPool.start(factory)) {
            HealthMonitor monitor = new HealthMonitor(pool.adapter.tiers(), work, 1, 2, factory.runtime());
            monitor.round();
            Tier tier = tier(pool, TierId.PRIMARY);
            await().atMost(Duration.ofSeconds(10)).until(() -> tier(pool, TierId.BACKUP).role() == io.pgtier.api.Role.STANDBY);
            primary.execute("CREATE TABLE pm_rows (n int)");
            Connection inUse = pool.connection();
            pool.connection().close(); // a second session, idle in the pool
            assertThat(sessionsOn(primary, "pm")).isEqualTo(2);

            primary.hangPostmaster();
            try {
                await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(100)).until(() -> {
                    monitor.round();
                    return tier.state() == TierState.DOWN;
                });
                insert(inUse, "pm_rows");
                try (Connection idle = pool.connection()) {
                    insert(idle, "pm_rows");
                }
                assertThat(pool.manager.errors).as("no session ended").isEmpty();
            } finally {
                primary.resumePostmaster();
            }
            inUse.close();
            assertThat(count(primary, "pm_rows")).as("both writes committed on the primary while it was down").isEqualTo(2);
            assertThat(sessionsOn(primary, "pm")).isEqualTo(2);
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).until(() -> {
                monitor.tick();
                return tier.state() != TierState.DOWN;
            });
        }
    }

    @Test
    @DisplayName("the server is full (53300, max_connections taken by other clients): not a down verdict; the pool's session keeps working")
    void fullServerIsNotDown() throws Exception {
        PgTierManagedConnectionFactory factory = TestPool.factory("full", "READ_WRITE", server.jdbcUrl(), null, null);
        List<Connection> others = new ArrayList<>();
        try (TestPool pool = TestPool.start(factory)) {
            HealthMonitor monitor = new HealthMonitor(pool.adapter.tiers(), Runnable::run, 1, 2, factory.runtime());
            Connection held = pool.connection();
            try {
                while (true) {
                    others.add(server.connect());
                }
            } catch (SQLException full) {
                assertThat(full.getSQLState()).isEqualTo("53300");
            }
            for (int i = 0; i < 3; i++) {
                monitor.round();
            }
            Tier tier = tier(pool, TierId.PRIMARY);
            assertThat(tier.state()).isEqualTo(TierState.UP);
            assertThat(tier.breaker().state()).isEqualTo(BreakerState.CLOSED);
            try (Statement s = held.createStatement()) {
                assertThat(s.execute("SELECT 1")).as("the pool's session still serves").isTrue();
            }
            held.close();
        } finally {
            for (Connection c : others) {
                c.close();
            }
        }
    }

    @Test
    @DisplayName("a wrong password on one pool never opens the shared tier's breaker nor marks it down: the other pool stays up and serving")
    void wrongPasswordStaysWithItsPool() throws Exception {
        PgTierResourceAdapter adapter = new PgTierResourceAdapter();
        PgTierManagedConnectionFactory wrong = TestPool.factory("wrong", "READ_WRITE", server.jdbcUrl(), null, null);
        wrong.setPassword("not-the-password");
        PgTierManagedConnectionFactory good = TestPool.factory("good", "READ_WRITE", server.jdbcUrl(), null, null);
        // The bad pool names the tier first, so the monitor probes with its password.
        try (TestPool bad = TestPool.start(adapter, wrong); TestPool fine = TestPool.start(adapter, good)) {
            HealthMonitor monitor = new HealthMonitor(adapter.tiers(), Runnable::run, 1, 2, good.runtime());
            for (int i = 0; i < 6; i++) {
                long start = System.nanoTime();
                SQLException e = catchThrowableOfType(SQLException.class, bad::connection);
                assertThat(e.getSQLState()).isEqualTo("28P01");
                assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).as("waiting cannot help: no ride-through").isLessThan(2_000);
                monitor.round();
            }
            Tier tier = tier(bad, TierId.PRIMARY);
            assertThat(tier).isSameAs(tier(fine, TierId.PRIMARY));
            assertThat(tier.state()).isEqualTo(TierState.UP);
            assertThat(tier.breaker().state()).isEqualTo(BreakerState.CLOSED);
            assertThat(fine.factory.runtime().status().canServe()).isTrue();
            try (Connection c = fine.connection()) {
                assertThat(serverPort(c)).isEqualTo(server.port());
            }
        }
    }

    @Test
    @DisplayName("a cap that is momentarily full makes the caller wait for a slot (Payara frees capacity before destroy), not fail")
    void momentarilyFullCapWaits() throws Exception {
        PgTierManagedConnectionFactory factory = TestPool.factory("cap", "READ_WRITE", server.jdbcUrl(), null, null);
        factory.setPrimaryMaxConnections(2);
        try (TestPool pool = TestPool.start(factory)) {
            Tier tier = tier(pool, TierId.PRIMARY);
            assertThat(tier.tryReserve()).isTrue();
            assertThat(tier.tryReserve()).isTrue();
            CompletableFuture<Connection> caller = CompletableFuture.supplyAsync(() -> {
                try {
                    return pool.connection();
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            }, work);
            // The caller found the cap full and is waiting (backing off) rather than failing: now a slot frees up.
            await().atMost(Duration.ofSeconds(3)).pollInterval(Duration.ofMillis(5))
                    .until(() -> !caller.isDone() && waitingIn(PoolRuntime.class, "acquire"));
            tier.release();
            try (Connection c = caller.get(10, TimeUnit.SECONDS)) {
                assertThat(serverPort(c)).as("served once a slot was free").isEqualTo(server.port());
            }
            tier.release();
        }
    }

    @Test
    @DisplayName("while the writable tier is out, a READ_WRITE pool opens no session on a known standby: only the monitor's probes reach it")
    void noStormOnAStandby() throws Exception {
        PgServer primary = harness.startPrimary("storm-primary");
        PgServer standby = harness.startStandby("storm-standby", primary, Replication.ASYNC);
        FaultProxy primaryRoute = harness.proxy("storm-primary-route", primary);
        FaultProxy standbyRoute = harness.proxy("storm-standby-route", standby);
        PgTierManagedConnectionFactory factory = TestPool.factory("storm", "READ_WRITE", primaryRoute.jdbcUrl(), standbyRoute.jdbcUrl(), null);
        factory.setRideThroughMillis(200);
        try (TestPool pool = TestPool.start(factory)) {
            HealthMonitor monitor = new HealthMonitor(pool.adapter.tiers(), Runnable::run, 1, 2, factory.runtime());
            monitor.round();
            assertThat(tier(pool, TierId.BACKUP).role()).isEqualTo(io.pgtier.api.Role.STANDBY);
            primaryRoute.reset();
            int before = standbyRoute.acceptedConnections();
            for (int i = 0; i < 20; i++) {
                SQLException e = catchThrowableOfType(SQLException.class, pool::connection);
                assertThat(e.getMessage()).contains("backup: server is a standby (read-only)");
            }
            assertThat(standbyRoute.acceptedConnections() - before).as("sessions opened on the standby by 20 failed calls").isZero();
        } finally {
            primaryRoute.pass();
        }
    }

    @Test
    @DisplayName("a slow but healthy server is never declared down: a query far longer than the probe timeout, and probes on a CPU-saturated server")
    void slowHealthyServerIsNotDown() throws Exception {
        PgServer slow = harness.startPrimary("slow");
        PgTierManagedConnectionFactory factory = TestPool.factory("slow", "READ_WRITE", slow.jdbcUrl(), null, null);
        try (TestPool pool = TestPool.start(factory)) {
            HealthMonitor monitor = new HealthMonitor(pool.adapter.tiers(), work, 1, 2, factory.runtime());
            Tier tier = tier(pool, TierId.PRIMARY);
            List<TierState> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
            try (Connection c = pool.connection()) {
                CompletableFuture<Boolean> longQuery = CompletableFuture.supplyAsync(() -> {
                    try (Statement s = c.createStatement()) {
                        return s.execute("SELECT pg_sleep(6)");
                    } catch (SQLException e) {
                        throw new IllegalStateException(e);
                    }
                }, work);
                List<CompletableFuture<?>> burners = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    burners.add(CompletableFuture.runAsync(() -> {
                        try (Connection b = slow.connect(); Statement s = b.createStatement()) {
                            s.execute("SELECT count(*) FROM generate_series(1, 40000000)");
                        } catch (SQLException e) {
                            throw new IllegalStateException(e);
                        }
                    }, work));
                }
                // What the adapter's timer does every 250 ms, and a full round each time too (more probing than
                // the defaults, so more chances of a false verdict), until the query returns.
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).until(() -> {
                    monitor.tick();
                    monitor.round();
                    seen.add(tier.state());
                    return longQuery.isDone();
                });
                assertThat(longQuery.get()).as("the long query completed on its session").isTrue();
                CompletableFuture.allOf(burners.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
                System.out.printf("[figures] slow server: last probe took %d us under CPU load%n", tier.status().probeMicros());
            }
            assertThat(seen).as("the tier's state at every tick").containsOnly(TierState.UP);
            assertThat(pool.manager.errors).as("no session aborted").isEmpty();
            assertThat(tier.status().probeMicros()).as("the monitor did probe").isPositive();
        }
    }

    private static Tier tier(TestPool pool, TierId id) {
        return pool.adapter.tiers().all().stream()
                .filter(t -> t.id() == id && t.endpoint().url().equals(urlOf(pool, id)))
                .findFirst().orElseThrow();
    }

    private static String urlOf(TestPool pool, TierId id) {
        return switch (id) {
            case PRIMARY -> pool.factory.getPrimaryUrl();
            case BACKUP -> pool.factory.getBackupUrl();
            case FAILOVER -> pool.factory.getFailoverUrl();
        };
    }

    private static void insert(Connection c, String table) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.executeUpdate("INSERT INTO " + table + " VALUES (1)");
        }
    }

    private static long count(PgServer server, String table) throws SQLException {
        try (Connection c = server.connect(); Statement s = c.createStatement();
             var rs = s.executeQuery("SELECT count(*) FROM " + table)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** Whether some thread is sleeping (a backoff) inside {@code type.method}. */
    private static boolean waitingIn(Class<?> type, String method) {
        return Thread.getAllStackTraces().entrySet().stream().anyMatch(e -> e.getKey().getState() == Thread.State.TIMED_WAITING
                && java.util.Arrays.stream(e.getValue()).anyMatch(f -> f.getClassName().equals(type.getName())
                        && f.getMethodName().equals(method)));
    }
}
