package io.pgtier.api;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A snapshot of one pool: its tiers and what it has done, for health checks, metrics and the
 * status endpoint. Safe to show anywhere: no URL carries a password, no credential is included.
 *
 * @param pool            the pool's name ({@code poolName})
 * @param purpose         what the pool serves
 * @param tiers           each configured tier, in walk order
 * @param checkouts       connections handed to beans by this pool, per tier, since start
 * @param leaksReclaimed  handles a bean left open that the adapter closed at transaction end
 * @param lastHealthCheck when the adapter's monitor last finished a round of probes; {@code null} before the first
 * @param monitorCpuMicros CPU time the adapter's health monitor has used since it started (all its pools together)
 * @param preferred       the tier an operator prefers for this pool (a planned switchover), {@code null} for walk order
 * @param sessions        this pool's physical connections per tier now (the tier's {@code openConnections} counts
 *                        every pool's): after a drain or a switchover, 0 on the old tier means it is free
 * @param events          what pgtier decided about this pool and its tiers, and what operators did, oldest first
 */
public record PoolStatus(String pool, Purpose purpose, List<TierStatus> tiers, Map<TierId, Long> checkouts,
                         long leaksReclaimed, Instant lastHealthCheck, long monitorCpuMicros, TierId preferred,
                         Map<TierId, Integer> sessions, List<PgTierEvent> events) {

    /** Whether some tier can serve this pool's purpose now: up, breaker not open, a role it can use. */
    public boolean canServe() {
        return tiers.stream().anyMatch(t -> t.state().serves() && t.breaker() != BreakerState.OPEN
                && purpose.canUse(t.role()));
    }
}
