package io.pgtier.tier;

import io.pgtier.api.TierId;
import io.pgtier.api.TierStatus;
import java.util.Collection;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * The tiers a resource adapter is configured with, created in {@code start()} and owned by that
 * adapter instance: never a static, so two deployments (or two tests) never share a cap or a
 * breaker. The primary is required; backup and failover exist only when configured.
 */
public final class Tiers {

    private final Map<TierId, Tier> byId = new EnumMap<>(TierId.class);
    private final List<Tier> all;

    public Tiers(Collection<Tier> tiers) {
        for (Tier tier : tiers) {
            if (byId.put(tier.id(), tier) != null) {
                throw new IllegalArgumentException(Messages.duplicateTier(tier.id()));
            }
        }
        if (!byId.containsKey(TierId.PRIMARY)) {
            throw new IllegalArgumentException(Messages.primaryMissing());
        }
        this.all = List.copyOf(byId.values());
    }

    /** Builds one {@link Tier} per endpoint, each with its own breaker of the same settings. */
    public static Tiers create(Map<TierId, TierEndpoint> endpoints, BreakerConfig breakerConfig,
            LongSupplier nanoClock, BreakerListener listener) {
        return new Tiers(endpoints.entrySet().stream()
                .map(e -> new Tier(e.getKey(), e.getValue(),
                        new Breaker(e.getKey(), breakerConfig, nanoClock, listener), nanoClock))
                .toList());
    }

    /** Every configured tier, in walk order. */
    public List<Tier> all() {
        return all;
    }

    public Optional<Tier> find(TierId id) {
        return Optional.ofNullable(byId.get(id));
    }

    /** The tier {@code id}; fails when it is not configured (an operator naming a missing tier). */
    public Tier get(TierId id) {
        return find(id).orElseThrow(() -> new NoSuchElementException(Messages.notConfigured(id)));
    }

    public List<TierStatus> snapshot() {
        return all.stream().map(Tier::status).toList();
    }
}
