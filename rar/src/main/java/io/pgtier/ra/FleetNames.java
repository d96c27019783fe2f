package io.pgtier.ra;

import io.pgtier.tier.Tier;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * How instances of a grid name a tier to each other ({@link Fleet}): by the pool's name and the
 * tier's label ({@code pgtier-rw}, {@code primary}), not by URL. Instances run the same pools, but
 * each may reach a server by its own route (a zone's own address). The state of a tier is kept
 * under a key per pool that uses it ({@code tier pgtier-rw/primary}), all written together, so that
 * actions through two pools that share a tier never disagree.
 */
final class FleetNames {

    static final String TIER = "tier ";

    private final PgTierResourceAdapter adapter;

    FleetNames(PgTierResourceAdapter adapter) {
        this.adapter = adapter;
    }

    /** The keys of {@code tier}'s state: one per pool of this instance that uses it. */
    List<String> keys(Tier tier) {
        return adapter.pools().stream().filter(p -> p.poolTiers().contains(tier))
                .map(p -> TIER + p.poolName() + "/" + tier.id().label()).distinct().toList();
    }

    /** This instance's tiers that {@code key} ({@code tier <pool>/<label>}) names. */
    List<Tier> tiersOf(String key) {
        String poolAndLabel = key.substring(TIER.length());
        int slash = poolAndLabel.lastIndexOf('/');
        String pool = poolAndLabel.substring(0, slash);
        String label = poolAndLabel.substring(slash + 1);
        return adapter.pools().stream().filter(p -> pool.equals(p.poolName())).flatMap(p -> p.poolTiers().stream())
                .filter(t -> t.id().label().equals(label)).distinct().toList();
    }

    /** How a hint names {@code tier}: its label, its URL and the pools that use it, tab-separated. */
    String hint(Tier tier) {
        return tier.id().label() + "\t" + tier.endpoint().safeUrl() + "\t" + adapter.pools().stream()
                .filter(p -> p.poolTiers().contains(tier)).map(TierDownListener::poolName).distinct()
                .collect(Collectors.joining("\t"));
    }

    /** The tiers a hint names here: that label with that URL, or that label in one of those pools. */
    List<Tier> hinted(String hint) {
        List<String> parts = List.of(hint.split("\t"));
        if (parts.size() < 2) {
            return List.of();
        }
        String label = parts.get(0);
        List<String> pools = parts.subList(2, parts.size());
        Set<Tier> named = new LinkedHashSet<>();
        for (Tier t : adapter.tiers().all()) {
            if (t.id().label().equals(label) && t.endpoint().safeUrl().equals(parts.get(1))) {
                named.add(t);
            }
        }
        for (TierDownListener p : adapter.pools()) {
            if (pools.contains(p.poolName())) {
                p.poolTiers().stream().filter(t -> t.id().label().equals(label)).forEach(named::add);
            }
        }
        return List.copyOf(named);
    }
}
