package io.pgtier.ra;

import io.pgtier.tier.Tier;

/**
 * Told when the health monitor declares a tier down, so a pool can end that tier's sessions at
 * once: a bean blocked on a hung server then gets its error when the monitor notices, instead of
 * when TCP gives up. Told too when the server behind a tier restarted between two probes (a crash
 * shorter than a probe interval is never seen "down"), so the sessions it lost are ended as well.
 */
public interface TierDownListener {

    /**
     * Runs on the monitor's thread: must only close sockets, never fire container events.
     * Statements executing since before {@code stalledBeforeNanos} ({@link System#nanoTime()}) are stalled.
     */
    void tierDown(Tier tier, long stalledBeforeNanos);

    /**
     * {@code tier} is still down, and a probe failed again: sessions executing since before
     * {@code stalledBeforeNanos} are stalled and should end. Runs on the monitor's thread.
     */
    default void endStalled(Tier tier, long stalledBeforeNanos) {
        // a listener without sessions of its own has nothing to end
    }

    /**
     * {@code server} ({@code host:port}) of {@code tier} began a new run at {@code startedAtMillis}
     * (our clock) — restarted, or re-initialised after a backend crashed — after sessions were
     * opened on its previous run: those sessions are gone, the newer ones and those on other
     * servers of the tier's URL are fine. Runs on the monitor's thread, as {@link #tierDown}.
     */
    default void serverRestarted(Tier tier, String server, long startedAtMillis) {
        // a listener without sessions of its own has nothing to end
    }

    /**
     * Whether a pool needs {@code standby} watched for a promotion: it writes, and none of its tiers
     * is writable now. Its callers never connect to a known standby, so the monitor's probe is how
     * the promotion is seen.
     */
    default boolean awaitsPromotion(Tier standby) {
        return false;
    }

    /**
     * When the oldest statement still executing on {@code tier} started ({@link System#nanoTime()}),
     * or 0 when none is: lets the monitor probe a tier at once when work on it stops returning.
     */
    default long oldestExecutionNanos(Tier tier) {
        return 0;
    }

    /**
     * An operator took {@code tier} out of this pool's use (drain, or a switchover away from it):
     * its idle connections end now rather than at the container's next validation. Those a bean
     * holds retire when returned.
     */
    default void retireIdle(Tier tier) {
    }

    /** Whether this pool can still serve its purpose without {@code tier} (before a drain). */
    default boolean servesWithout(Tier tier) {
        return true;
    }

    /**
     * The monitor saw {@code tier} change ({@code what}: down, answering again, a new role, a
     * restart): the adapter tells the other instances of its grid, which re-probe it.
     */
    default void seen(Tier tier, String what) {
    }

    /**
     * The preference shared for pools named {@code pool} (by an operator here, {@code local}, or on
     * another instance): {@code tier}'s label, or {@code null} for walk order.
     */
    default void sharedPreference(String pool, String tier, io.pgtier.grid.SharedAction action, boolean local) {
    }

    /** The pool's name ({@code poolName}); {@code null} for a listener that is no pool. */
    default String poolName() {
        return null;
    }

    /**
     * Whether the container asked this pool for its connection factory: a pool that is used, not
     * one the container made only to compare or test settings.
     */
    default boolean exposed() {
        return false;
    }

    /** The pool's tiers, in walk order. */
    default java.util.List<Tier> poolTiers() {
        return java.util.List.of();
    }

    /** The older of two execution starts ({@link System#nanoTime()} values), 0 meaning none. */
    static long older(long a, long b) {
        if (a == 0) {
            return b;
        }
        return b == 0 || a - b < 0 ? a : b;
    }
}
