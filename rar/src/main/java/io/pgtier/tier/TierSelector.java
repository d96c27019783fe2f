package io.pgtier.tier;

import io.pgtier.api.Purpose;
import io.pgtier.api.Role;
import io.pgtier.api.TierId;
import io.pgtier.api.TierState;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Decides which tiers to try for a new physical connection, and in what order.
 *
 * <p>A tier is excluded when it is drained or marked down, or when its last known role cannot
 * serve the purpose ({@link Purpose#canUse}); every exclusion carries a reason so the final error
 * can name every tier. The breaker and the cap are not judged here: they can only be judged by
 * taking a permit or a slot, which is the connect loop's job ({@link TierWalk}).
 *
 * <ul>
 *   <li><b>READ_WRITE</b>: walk order, primary → backup → failover.</li>
 *   <li><b>READ_ONLY</b>: known standbys first, the least loaded (fewest open connections) first,
 *       ties broken round-robin so two idle standbys share the load; then the remaining tiers in
 *       walk order, since the primary may serve reads too.</li>
 * </ul>
 *
 * <p>Only configured tiers are given to the constructor; an unconfigured backup or failover does
 * not exist here. Loads are read without a lock, so under concurrency the spread is approximate,
 * which is all it needs to be.
 */
public final class TierSelector {

    /** The tiers to try, in order, and why each other configured tier is not tried. */
    public record Selection(List<Tier> candidates, Map<TierId, String> excluded) {
    }

    private final List<Tier> tiers;
    private final AtomicInteger roundRobin = new AtomicInteger();

    public TierSelector(List<Tier> tiers) {
        List<Tier> ordered = new ArrayList<>(tiers);
        ordered.sort(Comparator.comparing(Tier::id));
        this.tiers = List.copyOf(ordered);
    }

    /** Every configured tier, in walk order. */
    public List<Tier> tiers() {
        return tiers;
    }

    public List<Tier> candidates(Purpose purpose) {
        return select(purpose).candidates();
    }

    /** Candidates and exclusions judged in one pass, so every tier is in exactly one of them. */
    public Selection select(Purpose purpose) {
        List<Tier> usable = new ArrayList<>();
        Map<TierId, String> excluded = new EnumMap<>(TierId.class);
        for (Tier tier : tiers) {
            Optional<String> reason = exclusion(tier, purpose);
            if (reason.isPresent()) {
                excluded.put(tier.id(), reason.get());
            } else {
                usable.add(tier);
            }
        }
        List<Tier> ordered = purpose == Purpose.READ_ONLY ? standbysFirst(usable) : usable;
        return new Selection(List.copyOf(ordered), Collections.unmodifiableMap(excluded));
    }

    /** Why {@code tier} may not be tried for {@code purpose} right now; empty if it may. */
    public Optional<String> exclusion(Tier tier, Purpose purpose) {
        TierState state = tier.state();
        if (state == TierState.DRAINED) {
            return Optional.of(Messages.drained());
        }
        if (state == TierState.DOWN) {
            return Optional.of(Messages.markedDown());
        }
        Role role = tier.role();
        if (!purpose.canUse(role)) {
            return Optional.of(Messages.wrongRole(role, purpose));
        }
        return Optional.empty();
    }

    private List<Tier> standbysFirst(List<Tier> usable) {
        List<Tier> standbys = new ArrayList<>();
        List<Tier> others = new ArrayList<>();
        for (Tier tier : usable) {
            (tier.role() == Role.STANDBY ? standbys : others).add(tier);
        }
        if (standbys.size() > 1) {
            // Rotate before the stable sort: among equally loaded standbys the rotation decides.
            Collections.rotate(standbys, -Math.floorMod(roundRobin.getAndIncrement(), standbys.size()));
            // Loads move while we sort; a snapshot keeps the comparator consistent.
            Map<Tier, Integer> load = new IdentityHashMap<>();
            standbys.forEach(tier -> load.put(tier, tier.openConnections()));
            standbys.sort(Comparator.comparingInt(load::get));
        }
        standbys.addAll(others);
        return standbys;
    }
}
