package io.pgtier.ra;

import io.pgtier.tier.Tier;

/**
 * Told when the health monitor declares a tier down, so a pool can end that tier's sessions at
 * once: a bean blocked on a hung server then gets its error when the monitor notices, instead of
 * when TCP gives up.
 */
public interface TierDownListener {

    /** Runs on the monitor's thread: must only close sockets, never fire container events. */
    void tierDown(Tier tier);
}
