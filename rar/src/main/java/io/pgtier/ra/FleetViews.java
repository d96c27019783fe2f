package io.pgtier.ra;

import io.pgtier.api.InstanceView;
import io.pgtier.grid.Views;
import io.pgtier.tier.Tier;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/** Each instance's view of its tiers ({@link Fleet}): this one's, made here, and the others', read from the grid. */
final class FleetViews {

    private FleetViews() {
    }

    /** The tiers of the pools in use here (not those of a factory the container made only to compare settings). */
    static InstanceView local(PgTierResourceAdapter adapter, String instance, Instant at) {
        List<InstanceView.TierView> tiers = new ArrayList<>();
        for (Tier t : adapter.pools().stream().filter(TierDownListener::exposed).flatMap(p -> p.poolTiers().stream())
                .distinct().toList()) {
            tiers.add(new InstanceView.TierView(t.id(), t.endpoint().safeUrl(), t.state(), t.role(), t.breaker().state(),
                    adapter.monitor() == null ? null : adapter.monitor().lastProbe(t)));
        }
        tiers.sort(Comparator.comparing(InstanceView.TierView::id).thenComparing(InstanceView.TierView::endpoint));
        return new InstanceView(instance, at, List.copyOf(tiers));
    }

    /**
     * Every view the grid holds ({@code shared}: instance name to encoded view), by instance name,
     * with {@code local} standing for this instance's until it has written one; a view this version
     * cannot read (an instance of another version) is left out.
     */
    static List<InstanceView> all(Map<String, String> shared, InstanceView local) {
        List<InstanceView> all = new ArrayList<>();
        shared.forEach((instance, text) -> {
            InstanceView view = Views.decode(instance, text);
            if (view != null) {
                all.add(view);
            }
        });
        if (all.stream().noneMatch(v -> v.instance().equals(local.instance()))) {
            all.add(local);
        }
        all.sort(Comparator.comparing(InstanceView::instance));
        return all;
    }
}
