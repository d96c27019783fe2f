package io.pgtier.ra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgtier.api.BreakerState;
import io.pgtier.api.Role;
import io.pgtier.api.TierId;
import io.pgtier.api.TierState;
import io.pgtier.harness.PgHarness;
import io.pgtier.harness.PgServer;
import io.pgtier.harness.Replication;
import io.pgtier.tier.BreakerConfig;
import io.pgtier.tier.BreakerListener;
import io.pgtier.tier.Tier;
import io.pgtier.tier.TierEndpoint;
import io.pgtier.tier.TierSelector;
import io.pgtier.api.Purpose;
import java.util.List;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The monitor against real servers, its rounds driven by the test (the container's timer and work
 * manager only schedule them): roles and lag are read, a dead tier is marked down after the set
 * number of failed probes — opening its breaker — and up again after one good probe.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HealthMonitorTest {

    private PgHarness harness;
    private PgServer primary;
    private PgServer standby;

    @BeforeAll
    void start() {
        harness = PgHarness.create();
        primary = harness.startPrimary("primary");
        standby = harness.startStandby("standby", primary, Replication.ASYNC);
    }

    @AfterAll
    void stop() {
        harness.close();
    }

    @Test
    @DisplayName("roles are read: the primary is writable, the standby a standby with a lag figure")
    void readsRoles() {
        TierRegistry registry = new TierRegistry(BreakerListener.NONE);
        Tier p = registry.tier(TierId.PRIMARY, endpoint(primary), BreakerConfig.defaults());
        Tier s = registry.tier(TierId.BACKUP, endpoint(standby), BreakerConfig.defaults());
        HealthMonitor monitor = new HealthMonitor(registry, Runnable::run, 2, 2, (t, stalled) -> { });

        monitor.round();

        assertThat(p.role()).isEqualTo(Role.WRITABLE);
        assertThat(s.role()).isEqualTo(Role.STANDBY);
        assertThat(s.status().lagBytes()).isGreaterThanOrEqualTo(0);
        assertThat(monitor.lastRound()).isNotNull();
        assertThat(monitor.cpuMicros()).as("the probes' CPU time is counted").isPositive();
    }

    @Test
    @DisplayName("a crashed tier is down after two failed probes in a row, in one round (breaker forced open), and up after one good probe")
    void downAndUp() {
        PgServer server = harness.startPrimary("flaky");
        TierRegistry registry = new TierRegistry(BreakerListener.NONE);
        Tier tier = registry.tier(TierId.PRIMARY, endpoint(server), BreakerConfig.defaults());
        HealthMonitor monitor = new HealthMonitor(registry, Runnable::run, 2, 2, (t, stalled) -> { });

        java.util.List<TierId> told = new java.util.ArrayList<>();
        HealthMonitor watched = new HealthMonitor(registry, Runnable::run, 2, 2, (t, stalled) -> told.add(t.id()));
        watched.round();
        assertThat(tier.state()).isEqualTo(TierState.UP);

        server.crash();
        watched.round();

        assertThat(tier.state()).isEqualTo(TierState.DOWN);
        assertThat(told).as("pools are told once").containsExactly(TierId.PRIMARY);
        watched.round();
        assertThat(told).as("not again while it stays down").hasSize(1);
        assertThat(tier.breaker().state()).isEqualTo(BreakerState.OPEN);

        server.start();
        watched.round();
        assertThat(tier.state()).isEqualTo(TierState.UP);
        assertThat(registry.events().recent(e -> true)).as("the event log, in order")
                .extracting(io.pgtier.api.PgTierEvent::id)
                .containsSubsequence("PGT-303", "PGT-301", "PGT-303", "PGT-302");
        assertThat(registry.events().recent(e -> e.id().equals("PGT-301"))).singleElement()
                .satisfies(e -> assertThat(e.reason()).contains("down after 2 failed probes").contains("08001"));
    }

    @Test
    @DisplayName("a hung tier costs a probe at most its timeout, and a second round does not pile a probe on the hung one")
    void hungTier() {
        PgServer server = harness.startPrimary("hung");
        TierRegistry registry = new TierRegistry(BreakerListener.NONE);
        Tier tier = registry.tier(TierId.PRIMARY, endpoint(server), BreakerConfig.defaults());
        java.util.concurrent.ExecutorService work = java.util.concurrent.Executors.newCachedThreadPool();
        HealthMonitor monitor = new HealthMonitor(registry, work, 1, 1, (t, stalled) -> { });
        try {
            server.hang();
            long start = System.nanoTime();
            monitor.round();
            monitor.round();
            await().atMost(Duration.ofSeconds(10)).until(() -> tier.state() == TierState.DOWN);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
            assertThat(((java.util.concurrent.ThreadPoolExecutor) work).getLargestPoolSize())
                    .as("the second round skipped the tier whose probe was still running").isEqualTo(1);
        } finally {
            server.resume();
            work.shutdownNow();
        }
    }

    @Test
    @DisplayName("failback: a recovered primary is tried last during its probation, then lower tiers' connections are retired")
    void failback() {
        PgServer p = harness.startPrimary("failback-primary");
        PgServer b = harness.startPrimary("failback-backup");
        TierRegistry registry = new TierRegistry(BreakerListener.NONE);
        Tier primaryTier = registry.tier(TierId.PRIMARY, endpoint(p), BreakerConfig.defaults());
        Tier backupTier = registry.tier(TierId.BACKUP, endpoint(b), BreakerConfig.defaults());
        primaryTier.failbackAfter(Duration.ofSeconds(2));
        TierSelector selector = new TierSelector(List.of(primaryTier, backupTier));
        HealthMonitor monitor = new HealthMonitor(registry, Runnable::run, 2, 1, (t, stalled) -> { });

        p.crash();
        monitor.round();
        assertThat(primaryTier.state()).isEqualTo(TierState.DOWN);
        long backupGeneration = backupTier.generation();

        p.start();
        monitor.round();

        assertThat(primaryTier.state()).isEqualTo(TierState.PROBATION);
        assertThat(primaryTier.onProbation()).isTrue();
        assertThat(selector.candidates(Purpose.READ_WRITE)).as("on probation: tried after the backup")
                .extracting(Tier::id).containsExactly(TierId.BACKUP, TierId.PRIMARY);
        assertThat(backupTier.isRetired(backupGeneration)).as("nothing retired during probation").isFalse();

        await().atMost(Duration.ofSeconds(10)).until(() -> !primaryTier.onProbation());
        monitor.round();

        assertThat(backupTier.isRetired(backupGeneration)).as("backup connections retire as they return").isTrue();
        assertThat(selector.candidates(Purpose.READ_WRITE)).extracting(Tier::id).containsExactly(TierId.PRIMARY, TierId.BACKUP);
    }

    @Test
    @DisplayName("100 flaps of a tier (its route reset, then healed) leave no extra thread and no heap growth behind")
    void hundredFlaps() {
        io.pgtier.harness.FaultProxy route = harness.proxy("flapping", primary);
        TierRegistry registry = new TierRegistry(BreakerListener.NONE);
        Tier tier = registry.tier(TierId.PRIMARY, new TierEndpoint(route.jdbcUrl(), PgServer.USER, PgHarness.PASSWORD, 5),
                BreakerConfig.defaults());
        java.util.concurrent.ExecutorService work = java.util.concurrent.Executors.newCachedThreadPool();
        int[] downs = new int[1];
        HealthMonitor monitor = new HealthMonitor(registry, work, 1, 2, (t, stalled) -> downs[0]++);
        var threads = java.lang.management.ManagementFactory.getThreadMXBean();
        try {
            flap(monitor, route, tier);
            int threadsBefore = threads.getThreadCount();
            long heapBefore = usedHeapAfterGc();

            for (int i = 0; i < 100; i++) {
                flap(monitor, route, tier);
            }

            int threadsAfter = threads.getThreadCount();
            long heapAfter = usedHeapAfterGc();
            System.out.printf("[figures] 100 flaps: threads %d -> %d, used heap %d KB -> %d KB%n",
                    threadsBefore, threadsAfter, heapBefore / 1024, heapAfter / 1024);
            assertThat(downs[0]).as("each flap reported down once").isEqualTo(101);
            assertThat(threadsAfter).as("no thread growth").isLessThanOrEqualTo(threadsBefore + 2);
            assertThat(heapAfter - heapBefore).as("no heap growth").isLessThan(5L * 1024 * 1024);
        } finally {
            work.shutdownNow();
        }
    }

    private static void flap(HealthMonitor monitor, io.pgtier.harness.FaultProxy route, Tier tier) {
        route.reset();
        // A round skips a tier whose last probe is still finishing: keep starting rounds until it is seen.
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).until(() -> {
            monitor.round();
            return tier.state() == TierState.DOWN;
        });
        route.pass();
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).until(() -> {
            monitor.round();
            return tier.state() == TierState.UP;
        });
    }

    private static long usedHeapAfterGc() {
        Runtime runtime = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return runtime.totalMemory() - runtime.freeMemory();
    }

    private static TierEndpoint endpoint(PgServer server) {
        return new TierEndpoint(server.jdbcUrl(), PgServer.USER, PgHarness.PASSWORD, 5);
    }
}
