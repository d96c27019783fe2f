package io.pgtier.tier;

import io.pgtier.api.BreakerState;
import io.pgtier.api.Role;
import io.pgtier.api.TierId;
import io.pgtier.api.TierState;
import io.pgtier.api.TierStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * One configured tier: its endpoint, its breaker, its cap and counters, and what the health
 * monitor and the operator last said about it. There is one instance per tier per resource
 * adapter, shared by every pool of that adapter, so the cap holds across pools.
 *
 * <p><b>Cap.</b> {@link #tryReserve()} takes a slot before a physical connection is opened and
 * {@link #release()} gives it back when the connection is destroyed (or the attempt failed). The
 * count never exceeds {@code maxConnections}: reservation is a compare-and-set loop, not an
 * increment followed by a check, so concurrent creators cannot overshoot even briefly.
 *
 * <p><b>State.</b> Two independent facts make up {@link #state()}: the monitor's health verdict
 * ({@link #markDown()}, {@link #markUp()}) and the operator's drain ({@link #drain()},
 * {@link #resume()}). A drain wins; keeping the facts apart means {@code resume()} returns the tier
 * to whatever the monitor last saw instead of guessing "up".
 *
 * <p><b>Failback.</b> A tier the monitor saw come back after being down (or after connection attempts
 * to it failed, which may have moved work away without the monitor noticing) is on probation for its
 * {@code failbackAfter}: new connections try it only after the other tiers, so a flapping server
 * does not pull work back and forth. {@link #finishProbation()} ends it once; the monitor then
 * retires the connections of the lower tiers, which go back to this one as they are returned.
 *
 * <p><b>Retiring.</b> Each connection remembers the {@link #generation()} it was created in.
 * {@link #retireConnections()} starts a new generation; a connection of an older one is retired as
 * it is returned (failback, drain), never taken from a bean mid-use. A counter rather than a flag
 * means no one has to decide when retiring is "over": connections made afterwards are simply newer.
 */
public final class Tier {

    private final TierId id;
    private final TierEndpoint endpoint;
    private final Breaker breaker;
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicLong generation = new AtomicLong();
    private final LongAdder acquired = new LongAdder();
    private final LongAdder failures = new LongAdder();
    private volatile boolean healthy = true;
    private volatile boolean drained;
    private volatile Role role = Role.UNKNOWN;
    private volatile long lagBytes = -1;
    private volatile long probeMicros = -1;
    private volatile String lastFailure;
    private volatile boolean suspect;
    private volatile long failbackNanos;
    private final AtomicLong recoveredAtNanos = new AtomicLong();

    public Tier(TierId id, TierEndpoint endpoint, Breaker breaker) {
        this.id = Objects.requireNonNull(id, "id");
        this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
        this.breaker = Objects.requireNonNull(breaker, "breaker");
        if (breaker.tier() != id) {
            throw new IllegalArgumentException("breaker of " + breaker.tier() + " given to " + id);
        }
    }

    public TierId id() {
        return id;
    }

    public TierEndpoint endpoint() {
        return endpoint;
    }

    public Breaker breaker() {
        return breaker;
    }


    /** Takes one slot of the cap; {@code false} when all {@code maxConnections} are taken. */
    public boolean tryReserve() {
        int max = endpoint.maxConnections();
        for (int n = open.get(); n < max; n = open.get()) {
            if (open.compareAndSet(n, n + 1)) {
                return true;
            }
        }
        return false;
    }

    /** Gives back a slot taken by {@link #tryReserve()}; exactly once per reservation. */
    public void release() {
        if (open.getAndUpdate(n -> n > 0 ? n - 1 : n) == 0) {
            throw new IllegalStateException(id.label() + ": release() without a reservation");
        }
    }

    public int openConnections() {
        return open.get();
    }


    /** A physical connection was created and will be handed out; records its role when known. */
    public void recordAcquired(Role observed) {
        acquired.increment();
        breaker.onSuccess();
        if (observed != Role.UNKNOWN) {
            role = observed;
        }
    }

    /** A connection attempt failed at the server or on the way to it. */
    public void recordFailure() {
        failures.increment();
        breaker.onFailure();
    }

    /**
     * As {@link #recordFailure()}, keeping what the server or driver said for later refusals. The
     * tier becomes suspect: work may have moved to lower tiers without the monitor ever seeing this
     * one down, so its next good probe starts a failback probation as a recovery would.
     */
    public void recordFailure(String reason) {
        lastFailure = reason;
        suspect = true;
        recordFailure();
    }

    /** What the last failed attempt said ("08001 Connection refused"); {@code null} if none failed. */
    public String lastFailure() {
        return lastFailure;
    }


    public void recordRole(Role observed) {
        role = Objects.requireNonNull(observed, "role");
    }

    public Role role() {
        return role;
    }

    public void recordLag(long bytes) {
        lagBytes = bytes;
    }

    /** How long the monitor's last good probe took (connect, log in, query), in microseconds. */
    public void recordProbeLatency(long micros) {
        probeMicros = micros;
    }

    /** The monitor's "down" verdict: no new connections, and the breaker opens at once. */
    public void markDown() {
        healthy = false;
        recoveredAtNanos.set(0);
        // Every session opened before this verdict is suspect, including one still being opened.
        retireConnections();
        breaker.forceOpen();
    }

    /**
     * The monitor saw the tier answer again. The breaker is left alone: it may be open for reasons
     * a probe cannot see (a full server), and it lets trials through once its wait is over.
     */
    public void markUp() {
        if ((!healthy || suspect) && failbackNanos > 0) {
            recoveredAtNanos.set(System.nanoTime());
        }
        suspect = false;
        healthy = true;
    }

    /** How long a recovered tier stays on probation; the longest any pool of the tier asked for. */
    public void failbackAfter(Duration after) {
        failbackNanos = Math.max(failbackNanos, after.toNanos());
    }

    /** Back from down for less than its failback time: tried after the other tiers. */
    public boolean onProbation() {
        long recovered = recoveredAtNanos.get();
        return recovered != 0 && System.nanoTime() - recovered < failbackNanos;
    }

    /** Ends a probation whose time is over; {@code true} exactly once per recovery (the failback moment). */
    public boolean finishProbation() {
        long recovered = recoveredAtNanos.get();
        return recovered != 0 && System.nanoTime() - recovered >= failbackNanos
                && recoveredAtNanos.compareAndSet(recovered, 0);
    }

    /** The operator stops new connections here and retires the existing ones as they return. */
    public void drain() {
        drained = true;
        retireConnections();
    }

    public void resume() {
        drained = false;
    }

    public TierState state() {
        if (drained) {
            return TierState.DRAINED;
        }
        return healthy ? TierState.UP : TierState.DOWN;
    }


    public long generation() {
        return generation.get();
    }

    /** Starts a new generation: every connection created before now is retired when returned. */
    public void retireConnections() {
        generation.incrementAndGet();
    }

    /** Whether a connection created in {@code connectionGeneration} must be retired on return. */
    public boolean isRetired(long connectionGeneration) {
        return connectionGeneration < generation.get();
    }

    public TierStatus status() {
        BreakerState breakerState = breaker.state();
        Instant retryAt = breakerState == BreakerState.OPEN
                ? Instant.now().plusMillis(breaker.retryInMillis())
                : null;
        return new TierStatus(id, endpoint.safeUrl(), state(), breakerState, role, lagBytes, probeMicros,
                open.get(), endpoint.maxConnections(), acquired.sum(), failures.sum(), retryAt);
    }

    @Override
    public String toString() {
        return "Tier[" + id.label() + ", " + state() + ", " + endpoint + "]";
    }
}
