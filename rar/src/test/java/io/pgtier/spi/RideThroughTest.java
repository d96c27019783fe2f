package io.pgtier.spi;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** How long a caller waits for a tier while none serves, on a manual clock. */
class RideThroughTest {

    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    private final AtomicLong clock = new AtomicLong(1_000_000 * MS);
    private final RideThrough rideThrough = new RideThrough(5000, clock::get);

    @Test
    @DisplayName("a new outage: the caller waits through the window from the outage's start")
    void newOutageWaitsTheWindow() {
        long start = clock.get();
        assertThat(rideThrough.deadline(start, false, false) - start).isBetween(4999 * MS, 5001 * MS);
    }

    @Test
    @DisplayName("an outage older than the window: fail within 50 ms, or within 500 ms while another caller's trial is under way")
    void oldOutageFailsFastUnlessATrialIsUnderWay() {
        rideThrough.deadline(clock.get(), false, false);
        for (int i = 0; i < 7; i++) {
            clock.addAndGet(1000 * MS);
            rideThrough.deadline(clock.get(), false, false); // walks keep failing: the outage goes on
        }
        long start = clock.get();
        assertThat(rideThrough.deadline(start, false, false) - start).isEqualTo(RideThrough.FAIL_FAST_NANOS);
        assertThat(rideThrough.deadline(start, false, true) - start).isEqualTo(RideThrough.TRIAL_WAIT_NANOS);
    }

    @Test
    @DisplayName("a served walk ends the outage; a full cap waits the window from the caller's own start")
    void servedEndsTheOutage() {
        rideThrough.deadline(clock.get(), false, false);
        clock.addAndGet(8000 * MS);
        rideThrough.served();
        long start = clock.get();
        assertThat(rideThrough.deadline(start, false, false) - start).isBetween(4999 * MS, 5001 * MS);
        clock.addAndGet(7000 * MS);
        long busy = clock.get();
        assertThat(rideThrough.deadline(busy, true, false) - busy).isEqualTo(5000 * MS);
    }
}
