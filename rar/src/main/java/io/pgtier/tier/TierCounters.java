package io.pgtier.tier;

import io.pgtier.api.BreakerState;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/** What happened to one tier since start, for metrics: failbacks to it and its breaker's transitions. */
public final class TierCounters {

    private final LongAdder failbacks = new LongAdder();
    private final Map<BreakerState, LongAdder> transitions = new EnumMap<>(BreakerState.class);

    TierCounters() {
        for (BreakerState state : BreakerState.values()) {
            transitions.put(state, new LongAdder());
        }
    }

    public void failback() {
        failbacks.increment();
    }

    public void breakerEntered(BreakerState state) {
        transitions.get(state).increment();
    }

    public long failbacks() {
        return failbacks.sum();
    }

    /** Transitions by the state entered, every state present. */
    public Map<BreakerState, Long> breakerTransitions() {
        Map<BreakerState, Long> counts = new EnumMap<>(BreakerState.class);
        transitions.forEach((state, n) -> counts.put(state, n.sum()));
        return counts;
    }
}
