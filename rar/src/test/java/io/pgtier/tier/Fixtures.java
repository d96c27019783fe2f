package io.pgtier.tier;

import io.pgtier.api.BreakerState;
import io.pgtier.api.TierId;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/** Builders shared by the tier tests: a hand-driven clock and tiers with a known password. */
final class Fixtures {

    static final String PASSWORD = "s3cret-Pa55";

    /** 50 %, window 10, judged from 4 calls, 10 s open, 2 trial calls: the documented defaults. */
    static final BreakerConfig CONFIG = BreakerConfig.defaults();

    private Fixtures() {
    }

    /** A nanosecond clock that moves only when a test says so. */
    static final class ManualClock {
        private final AtomicLong nanos = new AtomicLong(1_000_000_000L);

        long nanoTime() {
            return nanos.get();
        }

        void advance(Duration d) {
            nanos.addAndGet(d.toNanos());
        }
    }

    record Transition(TierId tier, BreakerState from, BreakerState to) {
    }

    /** Records every transition it is told about. */
    static final class RecordingListener implements BreakerListener {
        final List<Transition> seen = new CopyOnWriteArrayList<>();

        @Override
        public void onTransition(TierId tier, BreakerState from, BreakerState to) {
            seen.add(new Transition(tier, from, to));
        }
    }

    static Tier tier(TierId id, int cap, ManualClock clock) {
        return tier(id, cap, clock, BreakerListener.NONE);
    }

    static Tier tier(TierId id, int cap, ManualClock clock, BreakerListener listener) {
        TierEndpoint endpoint = new TierEndpoint(
                "jdbc:postgresql://" + id.label() + ".db:5432/app?password=" + PASSWORD,
                "app", PASSWORD, cap);
        return new Tier(id, endpoint, new Breaker(id, CONFIG, clock::nanoTime, listener), clock::nanoTime);
    }
}
