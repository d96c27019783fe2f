package io.pgtier.tier;

import io.pgtier.api.TierState;
import java.time.Duration;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * One tier's health as a state machine: {@link TierState#UP}, {@code SUSPECT}, {@code PROBATION}
 * and {@code DOWN} (the operator's {@code DRAINED} is kept apart by {@link Tier}, so a resume
 * returns to whatever this says). Every change is a named transition that reports whether it changed
 * anything, so callers log and count real changes only; time comes from one injected clock.
 *
 * <pre>
 *   UP ──connect failed──▶ SUSPECT ──probes failed──▶ DOWN
 *   UP, SUSPECT, PROBATION ─────────probes failed───▶ DOWN
 *   DOWN, SUSPECT ──probe or trial passed──▶ PROBATION ──failbackAfter over──▶ UP
 *                                           (UP at once when failbackAfter is 0)
 *   PROBATION ──connect failed──▶ SUSPECT
 * </pre>
 *
 * <p>Probation only orders the walk (the tier is tried after the others); it never refuses the
 * tier, so a recovered tier that is the only one able to serve serves at once.
 *
 * <p>Thread-safety: {@code synchronized}; transitions are rare (faults, probes) and the hot path
 * reads {@link #state()} only: one volatile read, plus the clock during a probation, never the lock.
 */
public final class TierHealth {

    private final LongSupplier nanoClock;
    private volatile TierState state = TierState.UP;
    /** When the current probation ends, by the clock; meaningful while {@code state} is PROBATION. */
    private volatile long probationEndsNanos;
    private long failbackNanos;

    public TierHealth(LongSupplier nanoClock) {
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
    }

    /**
     * The state now. A probation whose time is over reports {@code UP} (as an open breaker whose wait
     * is over reports half-open): the walk must not wait for the next probe to use the tier first.
     * The transition itself, which triggers the failback, is {@link #finishProbation()}.
     */
    public TierState state() {
        TierState now = state;
        return now == TierState.PROBATION && nanoClock.getAsLong() - probationEndsNanos >= 0 ? TierState.UP : now;
    }

    /** How long a recovered tier stays on probation; the longest any pool of the tier asked for. */
    public synchronized void failbackAfter(Duration after) {
        failbackNanos = Math.max(failbackNanos, after.toNanos());
    }

    /** The monitor's verdict: probes failed. */
    public synchronized boolean markDown() {
        return moveTo(TierState.DOWN);
    }

    /**
     * A connection attempt failed at the server or on the way there: work may move to lower tiers
     * without the monitor ever seeing this one down, so its next good probe starts a probation.
     */
    public synchronized boolean markSuspect() {
        return (state == TierState.UP || state == TierState.PROBATION) && moveTo(TierState.SUSPECT);
    }

    /** A probe, or a caller's trial connection, succeeded. */
    public synchronized boolean markUp() {
        if (state != TierState.DOWN && state != TierState.SUSPECT) {
            return false;
        }
        if (failbackNanos == 0) {
            return moveTo(TierState.UP);
        }
        probationEndsNanos = nanoClock.getAsLong() + failbackNanos;
        return moveTo(TierState.PROBATION);
    }

    /** Ends a probation whose time is over; {@code true} exactly once per recovery (the failback moment). */
    public synchronized boolean finishProbation() {
        return state == TierState.PROBATION && nanoClock.getAsLong() - probationEndsNanos >= 0
                && moveTo(TierState.UP);
    }

    /** Nanoseconds until probation ends (0 when not on probation or already due). */
    public synchronized long probationRemainingNanos() {
        if (state != TierState.PROBATION) {
            return 0;
        }
        return Math.max(0, probationEndsNanos - nanoClock.getAsLong());
    }

    private boolean moveTo(TierState next) {
        if (state == next) {
            return false;
        }
        state = next;
        return true;
    }
}
