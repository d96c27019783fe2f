package io.pgtier.ra;

import io.pgtier.tier.Tier;

/**
 * Told when the health monitor declares a tier down, so a pool can end that tier's sessions at
 * once: a bean blocked on a hung server then gets its error when the monitor notices, instead of
 * when TCP gives up. Told too when the server behind a tier restarted between two probes (a crash
 * shorter than a probe interval is never seen "down"), so the sessions it lost are ended as well.
 */
public interface TierDownListener {

    /** Runs on the monitor's thread: must only close sockets, never fire container events. */
    void tierDown(Tier tier);

    /**
     * The server behind {@code tier} started at {@code startedAtMillis} (our clock) after sessions
     * were opened on its previous run: those sessions are gone, the newer ones are fine. Runs on the
     * monitor's thread, as {@link #tierDown}.
     */
    default void serverRestarted(Tier tier, long startedAtMillis) {
        // a listener without sessions of its own has nothing to end
    }
}
