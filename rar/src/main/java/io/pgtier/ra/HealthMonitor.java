package io.pgtier.ra;

import io.pgtier.api.BreakerState;
import io.pgtier.api.Role;
import io.pgtier.api.TierState;
import io.pgtier.pg.SqlStates;
import io.pgtier.observe.EventLog;
import io.pgtier.pg.TierProbe;
import io.pgtier.tier.FailureKind;
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
 * Probes every tier of the adapter and records what it sees on the {@link Tier}: role, standby lag,
 * and — after {@code failuresBeforeDown} failed probes in a row — the "down" verdict, which opens the
 * tier's breaker; one good probe marks it up again (and closes its breaker), and once it has stayed
 * up for its failback time the lower tiers' connections are retired (failback).
 *
 * <p><b>Schedules.</b> {@link #round()} probes every tier at the healthy interval. {@link #tick()},
 * every 250 ms, does two cheaper things: a tier whose statement or connect has not returned within
 * the probe timeout is probed at once (a <em>stall</em>; the stall counts as one of the failures
 * that make the verdict, so a hung server is down after one more timed-out probe), and a tier that is
 * out — down, suspect, its breaker open — is re-probed on a fast schedule (250 ms, doubling to 1 s),
 * so a recovery is seen within a second; a standby of a READ_WRITE pool that has no writable tier
 * is probed each tick, so a promotion is seen within about 250 ms (callers never connect to a known
 * standby).
 *
 * <p><b>Causes.</b> Only failures of the server or the route count. A full server (53300) is alive;
 * a probe refused for its credentials or database says something about the configuration, which is
 * reported once and never makes a verdict.
 *
 * <p>The container's timer only schedules; each probe runs as separate work with its own timeouts,
 * so one hung server never delays the others, and every probe catches everything (an uncaught
 * exception would kill Payara's timer thread silently). A tier whose previous probe has not
 * finished is skipped, so a hung server never piles probes up.
 */
public final class HealthMonitor {

    /** How often {@link #tick()} is meant to run, and the first fast re-probe delay. */
    public static final long TICK_MILLIS = 250;
    private static final long FAST_MAX_NANOS = TimeUnit.SECONDS.toNanos(1);

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
        /** One probe per password the tier's pools sign on with (see {@link io.pgtier.tier.SignOns}). */
        final Map<io.pgtier.tier.SignOns.SignOn, TierProbe> probes = new ConcurrentHashMap<>();
        final AtomicInteger consecutiveFailures = new AtomicInteger();
        /** Per server the tier's URL reached, when its current run began (its own clock), at the last good probe. */
        final Map<String, Long> runStarts = new ConcurrentHashMap<>();
        volatile boolean inFlight;
        /** The stalled execution a probe was last started for: one extra probe per stall, not one a tick. */
        volatile long stallProbedFor;
        volatile long nextFastNanos;
        volatile long fastBackoffNanos = TimeUnit.MILLISECONDS.toNanos(TICK_MILLIS);
        volatile String configProblemReported;
        /** When the last probe ended, good or not (wall clock, for the instances' views); 0 before the first. */
        volatile long lastProbeMillis;
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
                    start(tier, p, false);
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
     * Between rounds (the container's timer calls it every {@link #TICK_MILLIS}): probes a tier now
     * when work on it has stalled, and re-probes tiers that are out on the fast schedule. See the
     * class comment. A slow query on a healthy server costs one extra probe, never a verdict.
     */
    public void tick() {
        if (stopped) {
            return;
        }
        long cpuStart = threadCpuNanos();
        try {
            long now = System.nanoTime();
            long stalledAfter = TimeUnit.SECONDS.toNanos(probeTimeoutSeconds);
            for (Tier tier : tiers.all()) {
                Probing p = probing(tier);
                if (p.inFlight) {
                    continue;
                }
                long since = TierDownListener.older(onDown.oldestExecutionNanos(tier), tier.oldestConnectNanos());
                if (tier.state().serves() && since != 0 && now - since >= stalledAfter && p.stallProbedFor != since) {
                    p.stallProbedFor = since;
                    LOG.fine(() -> "pgtier monitor: work on tier " + name(tier) + " has not returned for "
                            + TimeUnit.NANOSECONDS.toMillis(now - since) + " ms; probing it now");
                    start(tier, p, true);
                } else if (isOut(tier) && now - p.nextFastNanos >= 0) {
                    p.nextFastNanos = now + p.fastBackoffNanos;
                    p.fastBackoffNanos = Math.min(p.fastBackoffNanos * 2, FAST_MAX_NANOS);
                    start(tier, p, false);
                } else if (tier.role() == Role.STANDBY && tier.state().serves() && onDown.awaitsPromotion(tier)) {
                    // No tier takes writes and callers do not connect to a known standby: this probe is
                    // how a promotion is seen, every tick (4 sessions a second per standby at most).
                    start(tier, p, false);
                }
            }
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "pgtier monitor: tick failed", e);
        } finally {
            cpuNanos.add(threadCpuNanos() - cpuStart);
        }
    }

    /** Out of service, or serving less than it may: re-probed on the fast schedule, with backoff. */
    private static boolean isOut(Tier tier) {
        TierState state = tier.state();
        return state == TierState.DOWN || state == TierState.SUSPECT || tier.breaker().state() == BreakerState.OPEN;
    }

    private Probing probing(Tier tier) {
        return probing.computeIfAbsent(tier, t -> new Probing());
    }

    private void start(Tier tier, Probing p, boolean stalled) {
        p.inFlight = true;
        try {
            work.execute(() -> probe(tier, p, stalled));
        } catch (RuntimeException rejected) {
            p.inFlight = false;
            LOG.log(Level.WARNING, "pgtier monitor: could not schedule the probe of tier " + name(tier), rejected);
        }
    }

    /**
     * Probes {@code tier} now, unless a probe of it is under way or ended less than
     * {@link #TICK_MILLIS} ago: another instance saw it change (a hint). However many instances send
     * hints about one change, this one probes the tier at most 4 times a second for them. Whether a
     * probe was started.
     */
    public boolean probeNow(Tier tier) {
        Probing p = probing(tier);
        if (stopped || p.inFlight || System.currentTimeMillis() - p.lastProbeMillis < TICK_MILLIS) {
            return false;
        }
        start(tier, p, false);
        return true;
    }

    /** When the last probe of {@code tier} ended; {@code null} before the first. */
    public Instant lastProbe(Tier tier) {
        long at = probing(tier).lastProbeMillis;
        return at == 0 ? null : Instant.ofEpochMilli(at);
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
     * row (one fewer when work on the tier has stalled, which is evidence too), so a dead tier is
     * declared down within one round, bounded by the probe timeouts. A tier already down needs no
     * second failure: its stalled sessions are ended again, if there are new ones.
     */
    private void probe(Tier tier, Probing p, boolean stalled) {
        long cpuStart = threadCpuNanos();
        int threshold = stalled ? Math.max(1, failuresBeforeDown - 1) : failuresBeforeDown;
        try {
            while (!stopped) {
                io.pgtier.tier.SignOns.SignOn signOn = tier.signOns().forProbe(System.nanoTime());
                if (signOn == null) {
                    // The server refused every password the tier's pools have: tried again once a minute, not every round.
                    return;
                }
                try {
                    TierProbe.Result result = p.probes.computeIfAbsent(signOn, s -> new TierProbe(
                            tier.endpoint().withPassword(s.password()), probeTimeoutSeconds, "pgtier-monitor")).probe();
                    tier.signOns().worked(signOn.password());
                    recordUp(tier, p, result);
                    return;
                } catch (SQLException e) {
                    FailureKind kind = SqlStates.kind(e);
                    if (SqlStates.isSignOnRefused(e)) {
                        tier.signOns().refused(signOn.password());
                    }
                    if (kind != FailureKind.SERVER) {
                        // Alive: full, or refusing the monitor's credentials; neither is a verdict on the server.
                        p.consecutiveFailures.set(0);
                        reportNotServer(tier, p, kind, e);
                        return;
                    }
                    int failures = p.consecutiveFailures.incrementAndGet();
                    if (tier.state() == TierState.DOWN || failures >= threshold) {
                        recordDown(tier, failures, e);
                        return;
                    }
                }
            }
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "pgtier monitor: probe of tier " + name(tier) + " failed", e);
        } finally {
            p.lastProbeMillis = System.currentTimeMillis();
            p.inFlight = false;
            cpuNanos.add(threadCpuNanos() - cpuStart);
        }
    }

    private void reportNotServer(Tier tier, Probing p, FailureKind kind, SQLException e) {
        String said = e.getSQLState() + " " + firstLine(e.getMessage());
        if (kind == FailureKind.CONFIG && !said.equals(p.configProblemReported)) {
            p.configProblemReported = said;
            String check = io.pgtier.pg.PgTls.problem(e) != null ? "the TLS settings (sslMode, sslRootCert, sslCert, sslKey)"
                    : SqlStates.isSignOnRefused(e) ? "the password (the monitor probes with it no more; it tries another pool's,"
                    + " or waits until a pool offers a new one)" : "the user and database";
            LOG.warning(() -> "PGT-111 pgtier monitor: tier " + name(tier) + " refused the probe's sign-on ("
                    + said + "): check " + check + " of the pools that share this tier; not held against the tier");
        }
    }

    private void recordUp(Tier tier, Probing p, TierProbe.Result result) {
        Role before = tier.role();
        tier.recordRole(result.role());
        if (before != Role.UNKNOWN && before != result.role()) {
            event(EventLog.Kind.ROLE_CHANGED, tier, result.role() + " now, was " + before);
            onDown.seen(tier, result.role() + " (was " + before + ")");
        }
        tier.recordLag(result.lagBytes());
        tier.recordProbeLatency(result.latencyMicros());
        tier.recordInDoubt(result.inDoubt(), result.oldestInDoubtLocalMillis());
        p.fastBackoffNanos = TimeUnit.MILLISECONDS.toNanos(TICK_MILLIS);
        p.configProblemReported = null;
        Long previousRun = p.runStarts.put(result.server(), result.runStartMillis());
        if (previousRun != null && previousRun != result.runStartMillis()) {
            event(EventLog.Kind.SERVER_RESTARTED, tier, "server " + result.server()
                    + " restarted since the last probe; the sessions opened on it before are ended");
            onDown.serverRestarted(tier, result.server(), result.runStartLocalMillis());
            onDown.seen(tier, "restarted");
        }
        p.consecutiveFailures.set(0);
        if (tier.markUp()) {
            event(EventLog.Kind.TIER_UP, tier, "answers the probe again (" + result.role() + ", "
                    + result.latencyMicros() / 1000 + " ms), now " + tier.state());
            onDown.seen(tier, "answer again");
        }
        if (tier.finishProbation()) {
            failBackTo(tier);
        }
    }

    private void recordDown(Tier tier, int failures, SQLException e) {
        boolean changed = tier.markDown();
        if (changed) {
            event(EventLog.Kind.TIER_DOWN, tier, "down after " + failures + " failed probes: " + e.getSQLState() + " "
                    + firstLine(e.getMessage()) + "; new work goes to other tiers, and its sessions end where another"
                    + " tier can take them or where they are stalled");
        }
        long stalledBefore = System.nanoTime() - TimeUnit.SECONDS.toNanos(probeTimeoutSeconds);
        if (changed) {
            onDown.tierDown(tier, stalledBefore);
            onDown.seen(tier, "down (" + e.getSQLState() + ")");
        } else {
            onDown.endStalled(tier, stalledBefore);
        }
    }

    /**
     * {@code tier} has been healthy for its failback time: the connections of the tiers below it are
     * retired as they are returned (never taken from a bean), and new ones go to it.
     */
    private void failBackTo(Tier tier) {
        tiers.retireBelow(tier);
        tier.counters().failback();
        event(EventLog.Kind.FAILBACK, tier, "healthy for its failback time: connections on lower tiers are retired"
                + " as they are returned");
    }

    private void event(EventLog.Kind kind, Tier tier, String reason) {
        tiers.events().record(kind, null, tier.id(), tier.endpoint().safeUrl(), reason, null);
    }

    /** "primary (jdbc:postgresql://db1:5432/app)": tiers of different pools share labels. */
    private static String name(Tier tier) {
        return tier.id().label() + " (" + tier.endpoint().safeUrl() + ")";
    }

    private static String firstLine(String text) {
        if (text == null) {
            return "";
        }
        int newline = text.indexOf('\n');
        return newline < 0 ? text : text.substring(0, newline);
    }
}
