package io.pgtier.tier;

import io.pgtier.api.BreakerState;
import io.pgtier.api.TierId;

/**
 * Told of every breaker state change, so metrics can count transitions and logs can report them.
 * It is called while the breaker holds its lock, which is what keeps transitions in order for the
 * listener; so it must only record, never block or wait on another thread.
 */
@FunctionalInterface
public interface BreakerListener {

    /** A listener that ignores everything. */
    BreakerListener NONE = (tier, from, to) -> { };

    void onTransition(TierId tier, BreakerState from, BreakerState to);
}
