package io.pgtier.tier;

import io.pgtier.api.BreakerState;
import io.pgtier.api.Role;
import io.pgtier.api.TierId;
import io.pgtier.api.TierState;
import io.pgtier.api.TierStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

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
 * <p><b>State.</b> Two independent facts make up {@link #state()}: the {@link TierHealth} state
 * machine (monitor's probes, callers' failures and trials) and the operator's drain
 * ({@link #drain()}, {@link #resume()}). A drain wins; keeping the facts apart means
 * {@code resume()} returns the tier to whatever its health says instead of guessing "up".
 *
 * <p><b>Availability rule.</b> A verdict may move work to a tier that can serve; it never takes
 * away the best tier still able to: a down tier, or one whose breaker is open, may be tried by one
 * caller at a time ({@link #tryStartTrial()}) when no other tier can serve, and a good probe or
 * trial closes its breaker ({@link #markUp()}). Attempts are bounded by an {@link AttemptBudget}.
 *
 * <p><b>Retiring.</b> Each connection remembers the {@link #generation()} it was created in.
 * {@link #retireConnections()} starts a new generation; a connection of an older one is retired as
 * it is returned (failback, drain), never taken from a bean mid-use. A counter rather than a flag
 * means no one has to decide when retiring is "over": connections made afterwards are simply newer.
 */
public final class Tier {

    /** The least time between two trials of one tier: 20 ms. */
    public static final long TRIAL_SPACING_NANOS = 20_000_000L;

    private final TierId id;
    private final TierEndpoint endpoint;
    private final Breaker breaker;
    private final TierHealth health;
    private final AttemptBudget attempts;
    private final LongSupplier nanoClock;
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicLong generation = new AtomicLong();
    private final AtomicLong faultEpoch = new AtomicLong();
    private final LongAdder acquired = new LongAdder();
    private final LongAdder failures = new LongAdder();
    private final TierCounters counters = new TierCounters();
    private final SignOns signOns = new SignOns();
    private final AtomicBoolean trialInFlight = new AtomicBoolean();
    private final AtomicLong lastTrialNanos = new AtomicLong();
    /** Threads opening a session on this tier now, and since when: a connect that hangs is a stall too. */
    private final Map<Thread, Long> connecting = new ConcurrentHashMap<>();
    private volatile boolean drained;
    private volatile Role role = Role.UNKNOWN;
    private volatile long lagBytes = -1;
    private volatile long probeMicros = -1;
    private volatile int inDoubt;
    private volatile long oldestInDoubtMillis;
    private volatile String lastFailure;

    public Tier(TierId id, TierEndpoint endpoint, Breaker breaker, LongSupplier nanoClock) {
        this.id = Objects.requireNonNull(id, "id");
        this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
        this.breaker = Objects.requireNonNull(breaker, "breaker");
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
        if (breaker.tier() != id) {
            throw new IllegalArgumentException("breaker of " + breaker.tier() + " given to " + id);
        }
        this.health = new TierHealth(nanoClock);
        this.lastTrialNanos.set(nanoClock.getAsLong() - TRIAL_SPACING_NANOS);
        // A burst of the cap (a pool filling up), then the cap again each second, at least 5.
        int cap = endpoint.maxConnections();
        this.attempts = new AttemptBudget(Math.max(cap, 5), Math.max(cap, 5), nanoClock);
    }

    public TierId id() {
        return id;
    }

    public TierEndpoint endpoint() {
        return endpoint;
    }

    public TierCounters counters() {
        return counters;
    }

    /** The passwords its pools sign on with, and which worked: what the monitor probes with. */
    public SignOns signOns() {
        return signOns;
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

    /** Takes one connection attempt from the tier's budget; {@code false} when it is spent for now. */
    public boolean tryTakeAttempt() {
        return attempts.tryTake();
    }

    public AttemptBudget attemptBudget() {
        return attempts;
    }


    /** A physical connection was created and will be handed out; records its role when known. */
    public void recordAcquired(Role observed) {
        acquired.increment();
        breaker.onSuccess();
        if (observed != Role.UNKNOWN) {
            role = observed;
        }
    }

    /** A connection attempt failed at the server or on the way to it: counts against the breaker. */
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
        health.markSuspect();
        markSessionsSuspect();
        recordFailure();
    }

    /**
     * An attempt failed for a reason that says nothing about the server's health (it is full, or it
     * refused this pool's credentials): reported, never held against the tier.
     */
    public void recordRefusal(String reason) {
        lastFailure = reason;
        failures.increment();
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

    /** Prepared XA branches on the tier not yet resolved, and when the oldest was prepared (epoch ms, 0 when none). */
    public void recordInDoubt(int count, long oldestPreparedMillis) {
        inDoubt = count;
        oldestInDoubtMillis = oldestPreparedMillis;
    }

    /** How long the monitor's last good probe took (connect, log in, query), in microseconds. */
    public void recordProbeLatency(long micros) {
        probeMicros = micros;
    }

    /**
     * The monitor's "down" verdict: no new connections (but one caller's trial when nothing else
     * can serve), and the breaker opens at once. Which sessions end is each pool's decision: only
     * stalled ones, unless another tier can take the work. {@code true} when the tier was not down.
     */
    public boolean markDown() {
        breaker.forceOpen();
        if (!health.markDown()) {
            return false;
        }
        markSessionsSuspect();
        return true;
    }

    /**
     * Something happened that may have killed this tier's open sessions without their knowing (a
     * reset or black-holed route leaves a socket that looks open): a down verdict, a failed connect,
     * a fatal error on one of its sessions. Each session compares {@link #faultEpoch()} with the one
     * it was last known good at and is validated with one round trip before its next use.
     */
    public void markSessionsSuspect() {
        faultEpoch.incrementAndGet();
    }

    public long faultEpoch() {
        return faultEpoch.get();
    }

    /**
     * A probe or a caller's trial connection succeeded: the tier serves again (on probation if it
     * was down or suspect), and its breaker closes, since a real session was just opened on it.
     * {@code true} when the health state changed.
     */
    public boolean markUp() {
        breaker.forceClosed();
        return health.markUp();
    }

    /** How long a recovered tier stays on probation; the longest any pool of the tier asked for. */
    public void failbackAfter(Duration after) {
        health.failbackAfter(after);
    }

    /** Back from down for less than its failback time: tried after the other tiers. */
    public boolean onProbation() {
        return health.state() == TierState.PROBATION;
    }

    /** Ends a probation whose time is over; {@code true} exactly once per recovery (the failback moment). */
    public boolean finishProbation() {
        return health.finishProbation();
    }

    /**
     * One caller at a time may try a down tier, or one whose breaker is open, when no other tier
     * can serve, and trials start at least {@link #TRIAL_SPACING_NANOS} apart (at most 50 a second,
     * a bounded load on a failing server, while a tier's return is noticed within 20 ms by a caller);
     * {@code true} when this caller is the one. Must be followed by {@link #endTrial()}. Trials do not
     * spend the attempt budget: a long outage would exhaust it and delay the recovery.
     */
    public boolean tryStartTrial() {
        long now = nanoClock.getAsLong();
        if (now - lastTrialNanos.get() < TRIAL_SPACING_NANOS || !trialInFlight.compareAndSet(false, true)) {
            return false;
        }
        lastTrialNanos.set(now);
        return true;
    }

    public void endTrial() {
        trialInFlight.set(false);
    }

    /** Whether a caller's trial connection to this tier is under way now: waiting for its outcome can help. */
    public boolean trialUnderWay() {
        return trialInFlight.get();
    }

    /** This thread starts opening a session here; {@link #connectEnded()} when it returns. */
    public void connectStarted() {
        connecting.put(Thread.currentThread(), nanoClock.getAsLong() | 1);
    }

    public void connectEnded() {
        connecting.remove(Thread.currentThread());
    }

    /** When the oldest connect still running on this tier started (the clock's nanos), 0 when none is. */
    public long oldestConnectNanos() {
        long oldest = 0;
        for (long since : connecting.values()) {
            oldest = oldest == 0 || since - oldest < 0 ? since : oldest;
        }
        return oldest;
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
        return drained ? TierState.DRAINED : health.state();
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
        long probationLeft = health.probationRemainingNanos();
        Instant probationEnds = onProbation() ? Instant.now().plusNanos(probationLeft) : null;
        long oldestInDoubt = oldestInDoubtMillis;
        return new TierStatus(id, endpoint.safeUrl(), state(), breakerState, role, lagBytes, probeMicros,
                open.get(), endpoint.maxConnections(), acquired.sum(), failures.sum(), retryAt, probationEnds,
                inDoubt, oldestInDoubt == 0 ? null : Instant.ofEpochMilli(oldestInDoubt));
    }

    @Override
    public String toString() {
        return "Tier[" + id.label() + ", " + state() + ", " + endpoint + "]";
    }
}
