package io.pgtier.spi;

import static io.pgtier.spi.TestPool.serverPort;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgtier.harness.PgHarness;
import io.pgtier.harness.PgServer;
import io.pgtier.ra.HealthMonitor;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A hung server (SIGSTOP of every process): the monitor declares its tier down within its
 * detection budget and aborts its sessions, so a bean blocked on it gets an error then — on the
 * bean's own thread — instead of after the socket timeout; new connections go to the next tier.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HangTest {

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
    @DisplayName("a bean blocked on a hung primary gets 08006 when the monitor declares it down, far before socketTimeout")
    void blockedBeanGetsErrorAtDetection() throws Exception {
        Cluster cluster = cluster("hang");
        ExecutorService work = Executors.newCachedThreadPool();
        try (TestPool pool = TestPool.start(cluster.factory())) {
            HealthMonitor monitor = new HealthMonitor(pool.adapter.tiers(), work, 1, 2, cluster.factory().runtime());
            Connection blocked = pool.connection();
            assertThat(serverPort(blocked)).isEqualTo(cluster.primary().port());

            cluster.primary().hang();
            long hungAt = System.nanoTime();
            CompletableFuture<SQLException> bean = selectOne(blocked, work);
            monitor.round();

            Duration took = assertEndsWith08006(bean, hungAt, "hung primary");
            assertThat(took).as("within the detection budget: 2 probes x 1 s timeout, plus slack").isLessThan(Duration.ofSeconds(5));
            await().atMost(Duration.ofSeconds(5)).until(() -> pool.manager.errors.size() == 1);
            assertThat(pool.manager.destroyed.get()).isEqualTo(1);

            try (Connection next = pool.connection()) {
                assertThat(serverPort(next)).as("new work goes to the backup").isEqualTo(cluster.backup().port());
            }
        } finally {
            cluster.primary().resume();
            work.shutdownNow();
        }
    }

    @Test
    @DisplayName("with no round due, a statement that does not return makes the monitor probe its tier at once: the bean gets 08006")
    void stallTriggersAProbe() throws Exception {
        Cluster cluster = cluster("stall");
        // No round runs, so the backup's role is unknown and no other tier is known to take the work:
        // the stalled statement is ended once it has waited as long as a caller would (the window).
        cluster.factory().setRideThroughMillis(1_000);
        ExecutorService work = Executors.newCachedThreadPool();
        try (TestPool pool = TestPool.start(cluster.factory())) {
            HealthMonitor monitor = new HealthMonitor(pool.adapter.tiers(), work, 1, 2, cluster.factory().runtime());
            Connection blocked = pool.connection();
            assertThat(serverPort(blocked)).isEqualTo(cluster.primary().port());

            cluster.primary().hang();
            long hungAt = System.nanoTime();
            CompletableFuture<SQLException> bean = selectOne(blocked, work);
            // What the adapter's timer does (every 250 ms there; about as often here); no round() is ever called.
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).until(() -> {
                monitor.tick();
                return bean.isDone();
            });

            Duration took = assertEndsWith08006(bean, hungAt, "hung primary, stall check only");
            assertThat(took).as("stall after 1 s, then one timed-out probe of 1 s (the stall is the other failure), plus slack").isLessThan(Duration.ofSeconds(6));
            assertThat(monitor.lastRound()).as("no round ran").isNull();
        } finally {
            cluster.primary().resume();
            work.shutdownNow();
        }
    }

    /** A primary and a backup server, and a READ_WRITE pool on them with a socket timeout far beyond the detection budget. */
    private record Cluster(PgServer primary, PgServer backup, PgTierManagedConnectionFactory factory) {
    }

    private Cluster cluster(String name) {
        PgServer primary = harness.startPrimary(name + "-primary");
        PgServer backup = harness.startPrimary(name + "-backup");
        PgTierManagedConnectionFactory factory = TestPool.factory(name, "READ_WRITE", primary.jdbcUrl(), backup.jdbcUrl(), null);
        factory.setSocketTimeoutSeconds(60);
        return new Cluster(primary, backup, factory);
    }

    /** A bean's {@code SELECT 1} on its own thread; completes with the error it got, or null. */
    private static CompletableFuture<SQLException> selectOne(Connection connection, ExecutorService work) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                connection.createStatement().execute("SELECT 1");
                return null;
            } catch (SQLException e) {
                return e;
            }
        }, work);
    }

    /** The bean got 08006; prints and returns how long after the hang. */
    private static Duration assertEndsWith08006(CompletableFuture<SQLException> bean, long hungAt, String scenario) throws Exception {
        SQLException error = bean.get(20, java.util.concurrent.TimeUnit.SECONDS);
        Duration took = Duration.ofNanos(System.nanoTime() - hungAt);
        System.out.printf("[figures] %s: blocked bean got %s after %d ms (socketTimeout 60 s)%n", scenario,
                error == null ? "no error" : error.getSQLState(), took.toMillis());
        assertThat((Throwable) error).isNotNull();
        assertThat(error.getSQLState()).isEqualTo("08006");
        return took;
    }
}
