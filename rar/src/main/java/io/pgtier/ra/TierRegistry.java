package io.pgtier.ra;

import io.pgtier.api.TierId;
import io.pgtier.tier.Breaker;
import io.pgtier.tier.BreakerConfig;
import io.pgtier.tier.BreakerListener;
import io.pgtier.tier.Tier;
import io.pgtier.tier.TierEndpoint;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The resource adapter's tiers, shared by its pools: two pools that name the same endpoint for
 * the same tier share one {@link Tier}, so one cap, one breaker and one health record. A tier is
 * identified by its role in the walk, URL and user; the first pool to name it sets its cap and
 * breaker, and a later pool that asks for a different cap is refused with a clear message rather
 * than silently getting the first one's.
 */
public final class TierRegistry {

    private record Key(TierId id, String url, String user) {
    }

    private final Map<Key, Tier> tiers = new ConcurrentHashMap<>();
    private final BreakerListener listener;

    public TierRegistry(BreakerListener listener) {
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    /** The shared tier for this endpoint; {@link IllegalArgumentException} when its cap disagrees. */
    public Tier tier(TierId id, TierEndpoint endpoint, BreakerConfig breaker) {
        Key key = new Key(id, endpoint.url(), endpoint.user());
        Tier tier = tiers.computeIfAbsent(key,
                k -> new Tier(id, endpoint, new Breaker(id, breaker, System::nanoTime, listener)));
        int cap = tier.endpoint().maxConnections();
        if (cap != endpoint.maxConnections()) {
            throw new IllegalArgumentException("the " + id.label() + " tier " + endpoint.safeUrl()
                    + " is shared with another pool of this adapter whose cap is " + cap
                    + "; give both pools the same " + id.label() + "MaxConnections");
        }
        return tier;
    }

    public List<Tier> all() {
        return List.copyOf(tiers.values());
    }
}
