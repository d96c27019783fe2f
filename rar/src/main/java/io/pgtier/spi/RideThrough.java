package io.pgtier.spi;

import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * How long a caller of {@code getConnection()} waits for a tier while none can serve: through the
 * first {@code rideThroughMillis} of an outage (a brief fault passes unseen), then only as long as
 * waiting can help. An outage is current while walks keep failing: one that saw no failed walk for
 * a window's length is over, even if no new connection was needed to show it (the pool served from
 * its idle ones). Once it is older than the window, a caller still looks for a returning tier for
 * {@link #FAIL_FAST_NANOS}, long enough for one trial to start (trials are 20 ms apart), and for
 * up to {@link #TRIAL_WAIT_NANOS} while another caller's trial connection is under way: its
 * outcome, not a fixed clock, decides whether waiting helps (a returning server that answers in
 * 100 ms over TLS would otherwise fail the callers that came during its trial).
 */
final class RideThrough {

    static final long FAIL_FAST_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    static final long TRIAL_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

    private final long windowNanos;
    private final LongSupplier nanoClock;
    /** When the current outage began (the clock's nanos, odd), 0 while a tier serves. */
    private volatile long outageSince;
    /** When a walk last failed in the current outage; guarded by {@code this}. */
    private long outageLastFailure;

    RideThrough(int rideThroughMillis, LongSupplier nanoClock) {
        this.windowNanos = TimeUnit.MILLISECONDS.toNanos(rideThroughMillis);
        this.nanoClock = nanoClock;
    }

    /** A walk succeeded: the outage, if any, is over. */
    void served() {
        if (outageSince != 0) {
            outageSince = 0;
        }
    }

    /**
     * Until when a caller that started at {@code start} waits, after a walk that failed; when
     * {@code busyOnly} (every tier was at its cap or throttled) the whole window from its own start.
     */
    long deadline(long start, boolean busyOnly, boolean trialUnderWay) {
        long deadline;
        if (busyOnly) {
            deadline = start + windowNanos;
        } else {
            synchronized (this) {
                long now = nanoClock.getAsLong();
                if (outageSince == 0 || now - outageLastFailure > windowNanos) {
                    outageSince = start | 1;
                }
                outageLastFailure = now;
                deadline = outageSince + windowNanos;
            }
        }
        long floor = start + (trialUnderWay ? Math.max(FAIL_FAST_NANOS, Math.min(TRIAL_WAIT_NANOS, windowNanos)) : FAIL_FAST_NANOS);
        return deadline - floor > 0 ? deadline : floor;
    }
}
