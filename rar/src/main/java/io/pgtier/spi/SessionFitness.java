package io.pgtier.spi;

import io.pgtier.api.TierState;
import io.pgtier.tier.Tier;
import java.sql.Connection;
import java.sql.SQLException;

/**
 * Whether one managed connection's session may serve another request, and what the monitor needs
 * to know of it: split from {@link PgTierManagedConnection}, which owns the session's lifecycle and
 * events, so the rules of retirement live in one place.
 *
 * <ul>
 *   <li><b>Retired</b> ({@link #retireReason}): its tier drained, or down while another tier can
 *       take the work; a newer tier generation (failback, drain, demotion); a role its pool cannot
 *       use; older than {@code maxLifetimeSeconds}; aborted by a down verdict; closed.</li>
 *   <li><b>Suspect</b> ({@link #validIfSuspect}): a fault on its tier since it was last known good
 *       — a down verdict that kept it because no other tier could take its work, a failed connect,
 *       a fatal error on another of the tier's sessions — may have killed it without its knowing (a
 *       reset route leaves a socket that looks open), or not (a postmaster that only stopped
 *       accepting). One bounded round trip decides, while the tier is down and once after each fault.</li>
 *   <li><b>Stalled</b> ({@link #stalledBefore}): a statement that has not returned, which the
 *       monitor probes the tier for and, by the rules of the down verdict, ends.</li>
 * </ul>
 */
final class SessionFitness {

    private final PoolRuntime pool;
    private final Tier tier;
    private final long generation;
    private final long createdNanos = System.nanoTime();
    private final PoolMeters.TierMeter meter;
    private final java.util.concurrent.atomic.AtomicBoolean aborted = new java.util.concurrent.atomic.AtomicBoolean();
    private final java.util.concurrent.atomic.AtomicInteger running = new java.util.concurrent.atomic.AtomicInteger();
    /** {@link System#nanoTime()} (odd) when the statement now executing started; 0 when none is. */
    private final java.util.concurrent.atomic.AtomicLong executingSince = new java.util.concurrent.atomic.AtomicLong();
    /** The tier's fault epoch this session was last known good at. */
    private volatile long checkedAtFaultEpoch;

    SessionFitness(PoolRuntime pool, Tier tier, long generation) {
        this.pool = pool;
        this.tier = tier;
        this.generation = generation;
        this.meter = pool.meters().of(tier);
        this.checkedAtFaultEpoch = tier.faultEpoch();
    }

    /**
     * A statement starts. Counted: a bean may run statements on one connection from two threads
     * (pgjdbc serialises them), and the session is not idle until the last has returned.
     */
    void executionStarted() {
        if (running.getAndIncrement() == 0) {
            executingSince.set(System.nanoTime() | 1);
        }
    }

    /**
     * A statement ended: counted, and the session's time executing once none is left running. The
     * start is cleared only if it is still the one read: a statement another thread started in
     * between keeps its own, for the stall check and for its time.
     */
    void executionEnded() {
        long since = executingSince.get();
        if (running.decrementAndGet() == 0 && since != 0) {
            executingSince.compareAndSet(since, 0);
            meter.executed(System.nanoTime() - since);
        } else {
            meter.executed(0);
        }
    }

    long executingSince() {
        return executingSince.get();
    }

    /** Whether a statement has been executing on this session since before {@code nanos}. */
    boolean stalledBefore(long nanos) {
        long since = executingSince.get();
        return since != 0 && since - nanos < 0;
    }

    /** pgtier closed the session's socket; counted once. */
    void markAborted() {
        if (aborted.compareAndSet(false, true)) {
            meter.aborted();
        }
    }

    long ageNanos() {
        return System.nanoTime() - createdNanos;
    }

    /** Why the session must not serve again, {@code null} when it may; {@code broken} is the owner's own verdict. */
    String retireReason(boolean broken, Connection session) {
        if (broken) {
            return "broken";
        }
        if (aborted.get()) {
            return "aborted: tier down";
        }
        TierState state = tier.state();
        if (state == TierState.DRAINED || state == TierState.DOWN && pool.otherCanServe(tier)) {
            return "tier " + state;
        }
        String moves = pool.operations().movesToPreferred(tier, createdNanos);
        if (moves != null) {
            return moves;
        }
        if (tier.isRetired(generation)) {
            return "tier generation " + generation + " retired";
        }
        if (!pool.purpose().canUse(tier.role())) {
            return "server role " + tier.role();
        }
        long lifetime = pool.maxLifetimeNanos();
        if (lifetime > 0 && ageNanos() > lifetime) {
            return "older than maxLifetimeSeconds";
        }
        try {
            return session.isClosed() ? "session closed" : null;
        } catch (SQLException e) {
            return "session closed";
        }
    }

    /** {@code true} without a round trip unless the session is suspect (see the class comment). */
    boolean validIfSuspect(Connection session) {
        long epoch = tier.faultEpoch();
        boolean down = tier.state() == TierState.DOWN;
        if (!down && epoch == checkedAtFaultEpoch) {
            return true;
        }
        boolean valid;
        try {
            valid = session.isValid(pool.settings().validationTimeoutSeconds());
        } catch (SQLException | RuntimeException e) {
            valid = false;
        }
        if (valid && !down) {
            checkedAtFaultEpoch = epoch;
        }
        return valid;
    }
}
