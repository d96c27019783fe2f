package io.pgtier.ra;

import io.pgtier.pg.TierProbe;
import io.pgtier.tier.Tier;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Probes every tier of the adapter on a schedule and records what it sees on the {@link Tier}:
 * role, standby lag, and — after {@code failuresBeforeDown} failed probes in a row — the "down"
 * verdict, which opens the tier's breaker; one good probe marks it up again, and once it has stayed
 * up for its failback time the lower tiers' connections are retired (failback).
 *
 * <p>The container's timer only schedules a round; each probe runs as separate work with its own
 * timeouts, so one hung server never delays the others, and every probe catches everything (an
 * uncaught exception would kill Payara's timer thread silently). A tier whose previous probe has
 * not finished is skipped, so a hung server never piles probes up.
 */
public final class HealthMonitor {

    private static final Logger LOG = Logger.getLogger(HealthMonitor.class.getName());
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private final TierRegistry tiers;
    private final Executor work;
    private final int probeTimeoutSeconds;
    private final int failuresBeforeDown;
    private final TierDownListener onDown;
    private final Map<Tier, Probing> probing = new ConcurrentHashMap<>();
    /** CPU time of rounds and probes, measured on the threads that ran them: what the monitor costs. */
    private final LongAdder cpuNanos = new LongAdder();
    private volatile Instant lastRound;
    private volatile boolean stopped;

    private static final class Probing {
        final TierProbe probe;
        final AtomicInteger consecutiveFailures = new AtomicInteger();
        /** Per server the tier's URL reached, when its current run began (its own clock), at the last good probe. */
        final Map<String, Long> runStarts = new ConcurrentHashMap<>();
        volatile boolean inFlight;
        /** The stalled execution a probe was last started for: one extra probe per stall, not one a second. */
        volatile long stallProbedFor;

        Probing(TierProbe probe) {
            this.probe = probe;
        }
    }

    public HealthMonitor(TierRegistry tiers, Executor work, int probeTimeoutSeconds, int failuresBeforeDown,
            TierDownListener onDown) {
        this.tiers = tiers;
        this.onDown = onDown;
        this.work = work;
        this.probeTimeoutSeconds = probeTimeoutSeconds;
        this.failuresBeforeDown = failuresBeforeDown;
    }

    /** One round: starts a probe of every tier that has none running. Called by the container's timer. */
    public void round() {
        if (stopped) {
            return;
        }
        long cpuStart = threadCpuNanos();
        try {
            for (Tier tier : tiers.all()) {
                Probing p = probing(tier);
                if (!p.inFlight) {
                    start(tier, p);
                }
            }
            lastRound = Instant.now();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "pgtier monitor: round failed", e);
        } finally {
            cpuNanos.add(threadCpuNanos() - cpuStart);
        }
    }

    /**
     * Between rounds (the container's timer calls it every second): a statement that has been
     * executing on an up tier for longer than the probe timeout may be blocked on a hung server, so
     * that tier is probed now rather than at the next round. The probe decides, as in a round; a slow
     * query on a healthy server costs one extra probe. Without this, work blocked on a hung server
     * waits up to a whole interval before the first probe.
     */
    public void checkStalls() {
        if (stopped) {
            return;
        }
        long cpuStart = threadCpuNanos();
        try {
            long now = System.nanoTime();
            long stalledAfter = TimeUnit.SECONDS.toNanos(probeTimeoutSeconds);
            for (Tier tier : tiers.all()) {
                if (tier.state() != io.pgtier.api.TierState.UP) {
                    continue;
                }
                long since = onDown.oldestExecutionNanos(tier);
                Probing p = probing(tier);
                if (since != 0 && now - since >= stalledAfter && !p.inFlight && p.stallProbedFor != since) {
                    p.stallProbedFor = since;
                    LOG.fine(() -> "pgtier monitor: work on tier " + tier.id().label() + " has not returned for "
                            + TimeUnit.NANOSECONDS.toMillis(now - since) + " ms; probing it now");
                    start(tier, p);
                }
            }
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "pgtier monitor: stall check failed", e);
        } finally {
            cpuNanos.add(threadCpuNanos() - cpuStart);
        }
    }

    private Probing probing(Tier tier) {
        return probing.computeIfAbsent(tier, t -> new Probing(new TierProbe(t.endpoint(), probeTimeoutSeconds, "pgtier-monitor")));
    }

    private void start(Tier tier, Probing p) {
        p.inFlight = true;
        try {
            work.execute(() -> probe(tier, p));
        } catch (RuntimeException rejected) {
            p.inFlight = false;
            LOG.log(Level.WARNING, "pgtier monitor: could not schedule the probe of tier " + tier.id().label(), rejected);
        }
    }

    /** When the last round was started; {@code null} before the first. Liveness reads it. */
    public Instant lastRound() {
        return lastRound;
    }

    /** CPU time the monitor's rounds and probes have used, in microseconds (0 where the JVM cannot tell). */
    public long cpuMicros() {
        return cpuNanos.sum() / 1_000;
    }

    private static long threadCpuNanos() {
        return THREADS.isCurrentThreadCpuTimeSupported() ? THREADS.getCurrentThreadCpuTime() : 0;
    }

    public void stop() {
        stopped = true;
    }

    /**
     * Probes a tier; after a failure probes again at once, up to {@code failuresBeforeDown} in a
     * row, so a dead tier is declared down within one round (bounded by the probe timeouts) rather
     * than after several rounds.
     */
    private void probe(Tier tier, Probing p) {
        long cpuStart = threadCpuNanos();
        try {
            while (!stopped) {
                try {
                    TierProbe.Result result = p.probe.probe();
                    recordUp(tier, p, result);
                    return;
                } catch (SQLException e) {
                    int failures = p.consecutiveFailures.incrementAndGet();
                    if (failures >= failuresBeforeDown) {
                        recordDown(tier, failures, e);
                        return;
                    }
                }
            }
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "pgtier monitor: probe of tier " + tier.id().label() + " failed", e);
        } finally {
            p.inFlight = false;
            cpuNanos.add(threadCpuNanos() - cpuStart);
        }
    }

    private void recordUp(Tier tier, Probing p, TierProbe.Result result) {
        tier.recordRole(result.role());
        tier.recordLag(result.lagBytes());
        tier.recordProbeLatency(result.latencyMicros());
        Long previousRun = p.runStarts.put(result.server(), result.runStartMillis());
        if (previousRun != null && previousRun != result.runStartMillis()) {
            LOG.warning(() -> "pgtier monitor: server " + result.server() + " of tier " + tier.id().label()
                    + " restarted since the last probe; the sessions opened on it before are ended");
            onDown.serverRestarted(tier, result.server(), result.runStartLocalMillis());
        }
        if (p.consecutiveFailures.getAndSet(0) >= failuresBeforeDown) {
            LOG.info(() -> "pgtier monitor: tier " + tier.id().label() + " answers again (" + result.role() + ")");
        }
        tier.markUp();
        if (tier.finishProbation()) {
            failBackTo(tier);
        }
    }

    private void recordDown(Tier tier, int failures, SQLException e) {
        boolean wasUp = tier.state() != io.pgtier.api.TierState.DOWN;
        tier.markDown();
        if (wasUp) {
            LOG.warning(() -> "pgtier monitor: tier " + tier.id().label() + " is down after " + failures
                    + " failed probes: " + e.getSQLState() + " " + firstLine(e.getMessage())
                    + "; its sessions are aborted");
            onDown.tierDown(tier);
        }
    }

    /**
     * {@code tier} has been healthy for its failback time: the connections of the tiers below it are
     * retired as they are returned (never taken from a bean), and new ones go to it.
     */
    private void failBackTo(Tier tier) {
        tiers.retireBelow(tier);
        LOG.info(() -> "pgtier monitor: failback to tier " + tier.id().label()
                + ": connections on lower tiers are retired as they are returned");
    }

    private static String firstLine(String text) {
        if (text == null) {
            return "";
        }
        int newline = text.indexOf('\n');
        return newline < 0 ? text : text.substring(0, newline);
    }
}
