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
        PgServer primary = harness.startPrimary("hang-primary");
        PgServer backup = harness.startPrimary("hang-backup");
        PgTierManagedConnectionFactory factory = TestPool.factory("hang", "READ_WRITE", primary.jdbcUrl(), backup.jdbcUrl(), null);
        factory.setSocketTimeoutSeconds(60);
        ExecutorService work = Executors.newCachedThreadPool();
        try (TestPool pool = TestPool.start(factory)) {
            PoolRuntime runtime = factory.runtime();
            HealthMonitor monitor = new HealthMonitor(pool.adapter.tiers(), work, 1, 2, runtime::tierDown);
            Connection blocked = pool.connection();
            assertThat(serverPort(blocked)).isEqualTo(primary.port());
            Thread[] beanThread = new Thread[1];

            primary.hang();
            long hungAt = System.nanoTime();
            CompletableFuture<SQLException> bean = CompletableFuture.supplyAsync(() -> {
                beanThread[0] = Thread.currentThread();
                try {
                    blocked.createStatement().execute("SELECT 1");
                    return null;
                } catch (SQLException e) {
                    return e;
                }
            }, work);
            monitor.round();

            SQLException error = bean.get(20, java.util.concurrent.TimeUnit.SECONDS);
            Duration took = Duration.ofNanos(System.nanoTime() - hungAt);
            System.out.printf("[figures] hung primary: blocked bean got %s after %d ms (socketTimeout 60 s)%n",
                    error == null ? "no error" : error.getSQLState(), took.toMillis());
            assertThat((Throwable) error).isNotNull();
            assertThat(error.getSQLState()).isEqualTo("08006");
            assertThat(took).as("within the detection budget: 2 probes x 1 s timeout, plus slack").isLessThan(Duration.ofSeconds(5));
            await().atMost(Duration.ofSeconds(5)).until(() -> pool.manager.errors.size() == 1);
            assertThat(pool.manager.destroyed.get()).isEqualTo(1);

            try (Connection next = pool.connection()) {
                assertThat(serverPort(next)).as("new work goes to the backup").isEqualTo(backup.port());
            }
        } finally {
            primary.resume();
            work.shutdownNow();
        }
    }

    @Test
    @DisplayName("with no round due, a statement that does not return makes the monitor probe its tier at once: the bean gets 08006")
    void stallTriggersAProbe() throws Exception {
        PgServer primary = harness.startPrimary("stall-primary");
        PgServer backup = harness.startPrimary("stall-backup");
        PgTierManagedConnectionFactory factory = TestPool.factory("stall", "READ_WRITE", primary.jdbcUrl(), backup.jdbcUrl(), null);
        factory.setSocketTimeoutSeconds(60);
        ExecutorService work = Executors.newCachedThreadPool();
        try (TestPool pool = TestPool.start(factory)) {
            HealthMonitor monitor = new HealthMonitor(pool.adapter.tiers(), work, 1, 2, factory.runtime());
            Connection blocked = pool.connection();
            assertThat(serverPort(blocked)).isEqualTo(primary.port());

            primary.hang();
            long hungAt = System.nanoTime();
            CompletableFuture<SQLException> bean = CompletableFuture.supplyAsync(() -> {
                try {
                    blocked.createStatement().execute("SELECT 1");
                    return null;
                } catch (SQLException e) {
                    return e;
                }
            }, work);
            // What the adapter's timer does every second; no round() is ever called here.
            while (!bean.isDone() && System.nanoTime() - hungAt < java.util.concurrent.TimeUnit.SECONDS.toNanos(20)) {
                monitor.checkStalls();
                Thread.sleep(200);
            }

            SQLException error = bean.get(1, java.util.concurrent.TimeUnit.SECONDS);
            Duration took = Duration.ofNanos(System.nanoTime() - hungAt);
            System.out.printf("[figures] hung primary, stall check only: blocked bean got %s after %d ms%n",
                    error == null ? "no error" : error.getSQLState(), took.toMillis());
            assertThat((Throwable) error).isNotNull();
            assertThat(error.getSQLState()).isEqualTo("08006");
            assertThat(took).as("stall after 1 s, then 2 probes x 1 s, plus slack").isLessThan(Duration.ofSeconds(6));
            assertThat(monitor.lastRound()).as("no round ran").isNull();
        } finally {
            primary.resume();
            work.shutdownNow();
        }
    }
}
