package io.pgtier.api;

import java.time.Instant;
import java.util.List;

/**
 * One application-server instance's view of its tiers, as it last shared it on the data grid
 * (every monitor round): instances of one cluster may see a tier differently, since each verifies
 * for itself (a route can fail for one instance only). Without a grid, the one instance there is.
 *
 * @param instance the instance's name in the grid (Payara's instance name)
 * @param at       when it wrote this view
 * @param tiers    every tier of its pools in use, in walk order
 */
public record InstanceView(String instance, Instant at, List<TierView> tiers) {

    /**
     * One tier as that instance sees it.
     *
     * @param id        which tier
     * @param endpoint  its URL, password masked
     * @param state     see {@link TierState}
     * @param role      the server's role at that instance's last good probe
     * @param breaker   its breaker there
     * @param lastProbe when that instance's monitor last finished a probe of it; {@code null} before the first
     */
    public record TierView(TierId id, String endpoint, TierState state, Role role, BreakerState breaker,
                           Instant lastProbe) {
    }
}
