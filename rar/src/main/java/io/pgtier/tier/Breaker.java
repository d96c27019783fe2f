package io.pgtier.tier;

import io.pgtier.api.BreakerState;
import io.pgtier.api.TierId;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * One tier's circuit breaker over connection attempts, with Resilience4j's states and a
 * count-based sliding window.
 *
 * <ul>
 *   <li><b>CLOSED</b>: every attempt is permitted and its outcome goes into a ring buffer of the
 *       last {@code slidingWindowSize} outcomes. Once at least {@code minimumNumberOfCalls} are
 *       recorded and the failure rate reaches {@code failureRateThreshold}, the breaker opens. The
 *       rate is checked after successes too: with 4 calls required, F F F S is 75 %.</li>
 *   <li><b>OPEN</b>: every attempt is refused until {@code waitInOpenState} has passed since it
 *       opened; the first attempt after that moves it to HALF_OPEN and is its first trial.
 *       Opening is lazy: no timer runs, the clock is read when someone asks.</li>
 *   <li><b>HALF_OPEN</b>: at most {@code permittedCallsInHalfOpen} trials are in flight or have
 *       succeeded; any failed trial re-opens it (and restarts the wait); that many successes close it
 *       with an empty window, so the failures that opened it do not count twice.</li>
 * </ul>
 *
 * <p>Every permit must end in exactly one of {@link #onSuccess()}, {@link #onFailure()} or
 * {@link #releasePermission()} (the attempt was abandoned before reaching the server, e.g. because
 * the tier's cap was full); a lost half-open permit would keep the breaker half-open for ever.
 *
 * <p>{@link #forceOpen()} is the health monitor's "down" verdict and {@link #forceClosed()} the
 * operator's reset; both work from any state. Results that arrive while OPEN are ignored: they come
 * from attempts permitted before it opened and say nothing about the server now.
 *
 * <p>Thread-safety: every method is {@code synchronized}. Connections are created rarely, so a
 * lock costs nothing measurable and keeps the window, the state and the trial counts consistent.
 * Time comes only from the injected {@code nanoClock}, so tests control it.
 */
public final class Breaker {

    private final TierId tier;
    private final BreakerConfig config;
    private final LongSupplier nanoClock;
    private final BreakerListener listener;

    private BreakerState state = BreakerState.CLOSED;
    /** Ring buffer of outcomes, {@code true} = failure; valid in CLOSED only. */
    private final boolean[] window;
    private int recorded;
    private int failed;
    private int next;
    private long openedAtNanos;
    private int trialsInFlight;
    private int trialSuccesses;

    public Breaker(TierId tier, BreakerConfig config, LongSupplier nanoClock, BreakerListener listener) {
        this.tier = Objects.requireNonNull(tier, "tier");
        this.config = Objects.requireNonNull(config, "config");
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
        this.listener = Objects.requireNonNull(listener, "listener");
        this.window = new boolean[config.slidingWindowSize()];
    }

    public TierId tier() {
        return tier;
    }

    public BreakerConfig config() {
        return config;
    }

    /**
     * The state now. An OPEN breaker whose wait is over reports HALF_OPEN (Resilience4j's automatic
     * transition): health checks and status readers must see that the tier will be tried again,
     * even when no connection attempt has come by to move it.
     */
    public synchronized BreakerState state() {
        halfOpenIfWaitOver();
        return state;
    }

    private void halfOpenIfWaitOver() {
        if (state == BreakerState.OPEN && remainingOpenNanos() == 0) {
            transitionTo(BreakerState.HALF_OPEN);
        }
    }

    /** Asks to make one connection attempt; see the class comment for what each state answers. */
    public synchronized boolean tryAcquirePermission() {
        if (state == BreakerState.CLOSED) {
            return true;
        }
        halfOpenIfWaitOver();
        if (state == BreakerState.OPEN) {
            return false;
        }
        if (trialsInFlight + trialSuccesses >= config.permittedCallsInHalfOpen()) {
            return false;
        }
        trialsInFlight++;
        return true;
    }

    /** Gives back a permit whose attempt never reached the server. */
    public synchronized void releasePermission() {
        if (state == BreakerState.HALF_OPEN && trialsInFlight > 0) {
            trialsInFlight--;
        }
    }

    public synchronized void onSuccess() {
        switch (state) {
            case CLOSED -> record(false);
            case HALF_OPEN -> {
                trialsInFlight = Math.max(0, trialsInFlight - 1);
                if (++trialSuccesses >= config.permittedCallsInHalfOpen()) {
                    transitionTo(BreakerState.CLOSED);
                }
            }
            case OPEN -> { }
        }
    }

    public synchronized void onFailure() {
        switch (state) {
            case CLOSED -> record(true);
            case HALF_OPEN -> transitionTo(BreakerState.OPEN);
            case OPEN -> { }
        }
    }

    /** Opens the breaker now, whatever its state; an already open breaker restarts its wait. */
    public synchronized void forceOpen() {
        if (state == BreakerState.OPEN) {
            openedAtNanos = nanoClock.getAsLong();
        } else {
            transitionTo(BreakerState.OPEN);
        }
    }

    /** Closes the breaker now with an empty window, whatever its state. */
    public synchronized void forceClosed() {
        if (state != BreakerState.CLOSED) {
            transitionTo(BreakerState.CLOSED);
        }
    }

    /**
     * How long an OPEN breaker will still refuse, rounded up to whole milliseconds; 0 when it is
     * not open or its wait is over (the next attempt will be a trial).
     */
    public synchronized long retryInMillis() {
        return state == BreakerState.OPEN ? (remainingOpenNanos() + 999_999) / 1_000_000 : 0;
    }

    /** What a refused attempt is told: "breaker OPEN, retry in 3200 ms". */
    public synchronized String refusal() {
        return state == BreakerState.OPEN
                ? Messages.breakerOpen(retryInMillis())
                : Messages.breakerTrialsTaken(
                        trialsInFlight + trialSuccesses, config.permittedCallsInHalfOpen());
    }

    private long remainingOpenNanos() {
        long elapsed = nanoClock.getAsLong() - openedAtNanos;
        return Math.max(0, config.waitInOpenState().toNanos() - elapsed);
    }

    private void record(boolean failure) {
        if (recorded == window.length) {
            if (window[next]) {
                failed--;
            }
        } else {
            recorded++;
        }
        window[next] = failure;
        if (failure) {
            failed++;
        }
        next = (next + 1) % window.length;
        int judgedFrom = Math.min(config.minimumNumberOfCalls(), window.length);
        boolean atThreshold = failed * 100L >= (long) config.failureRateThreshold() * recorded;
        if (recorded >= judgedFrom && atThreshold) {
            transitionTo(BreakerState.OPEN);
        }
    }

    private void transitionTo(BreakerState to) {
        BreakerState from = state;
        state = to;
        switch (to) {
            case OPEN -> openedAtNanos = nanoClock.getAsLong();
            case HALF_OPEN -> {
                trialsInFlight = 0;
                trialSuccesses = 0;
            }
            case CLOSED -> {
                recorded = 0;
                failed = 0;
                next = 0;
            }
        }
        listener.onTransition(tier, from, to);
    }
}
