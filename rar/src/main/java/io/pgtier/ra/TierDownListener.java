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

    /**
     * Failback retired {@code tier}'s connections: those idle in the container's pool can be closed
     * now rather than when the container next validates them (with Payara, at its resizer, minutes
     * later), so their server sessions and cap slots are freed. Same thread rules as {@link #tierDown}.
     */
    default void connectionsRetired(Tier tier) {
    }
}
