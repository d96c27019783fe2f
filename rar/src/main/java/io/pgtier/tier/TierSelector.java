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
 * <p>A tier is excluded when it is drained, marked down, or its last known role cannot serve the
 * purpose (a standby, for READ_WRITE: callers never open sessions on a server that can never
 * serve them; the monitor's probe notices a promotion, on its fast schedule while no tier can
 * serve). Every exclusion carries a reason so the final error can name every tier. A down tier
 * whose role may serve is also a <em>trial</em>: when no candidate gives a connection, one caller
 * may try it ({@link TierWalk}). A tier on failback probation is tried after the others. The breaker
 * and the cap are not judged here: they can only be judged by taking a permit or a slot, which is
 * the connect loop's job.
 *
 * <ul>
 *   <li><b>READ_WRITE</b>: walk order, primary → backup → failover.</li>
 *   <li><b>READ_ONLY</b>: standbys and tiers whose role is not known yet first, the least loaded
 *       (fewest open connections) first, ties broken round-robin so two idle standbys share the
 *       load; then writable tiers, since the primary may serve reads too.</li>
 * </ul>
 *
 * <p>Only configured tiers are given to the constructor; an unconfigured backup or failover does
 * not exist here. Loads are read without a lock, so under concurrency the spread is approximate,
 * which is all it needs to be.
 */
public final class TierSelector {

    /**
     * The tiers to try, in order; why each other configured tier is not tried; and the excluded
     * tiers one caller may try when no candidate serves (down, but of a role that may serve).
     */
    public record Selection(List<Tier> candidates, Map<TierId, String> excluded, List<Tier> trials) {
    }

    private final List<Tier> tiers;
    private volatile Tier preferred;
    private final AtomicInteger roundRobin = new AtomicInteger();

    public TierSelector(List<Tier> tiers) {
        List<Tier> ordered = new ArrayList<>(tiers);
        ordered.sort(Comparator.comparing(Tier::id));
        this.tiers = List.copyOf(ordered);
    }

    /**
     * The operator's planned switchover: {@code tier} goes first while it can serve (it is never
     * tried when excluded, and a tier on probation stays last); {@code null} restores walk order.
     */
    public void prefer(Tier tier) {
        this.preferred = tier;
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
        List<Tier> probation = new ArrayList<>();
        List<Tier> trials = new ArrayList<>();
        Map<TierId, String> excluded = new EnumMap<>(TierId.class);
        for (Tier tier : tiers) {
            Optional<String> reason = exclusion(tier, purpose);
            if (reason.isPresent()) {
                excluded.put(tier.id(), reason.get());
                if (tier.state() == TierState.DOWN && purpose.canUse(tier.role())) {
                    trials.add(tier);
                }
            } else if (tier.onProbation()) {
                probation.add(tier);
            } else {
                usable.add(tier);
            }
        }
        List<Tier> ordered = purpose == Purpose.READ_ONLY ? standbysFirst(usable) : usable;
        Tier first = preferred;
        if (first != null && ordered.remove(first)) {
            ordered.add(0, first);
        }
        ordered.addAll(probation);
        return new Selection(List.copyOf(ordered), Collections.unmodifiableMap(excluded), List.copyOf(trials));
    }

    /** Why {@code tier} may not be tried for {@code purpose} right now; empty if it may. */
    public Optional<String> exclusion(Tier tier, Purpose purpose) {
        TierState state = tier.state();
        if (state == TierState.DRAINED) {
            return Optional.of(Messages.drained());
        }
        if (!purpose.canUse(tier.role())) {
            return Optional.of(Messages.wrongRole(tier.role(), purpose));
        }
        if (state == TierState.DOWN) {
            return Optional.of(Messages.markedDown());
        }
        return Optional.empty();
    }

    /**
     * Whether some tier other than {@code tier} can take this purpose's new work now: serving, its
     * breaker not open, and a role known to serve the purpose. A down verdict on {@code tier} ends
     * its working sessions only when this is so.
     */
    public boolean otherCanServe(Tier tier, Purpose purpose) {
        for (Tier other : tiers) {
            if (other != tier && other.state().serves() && other.role() != Role.UNKNOWN && purpose.canUse(other.role())
                    && other.breaker().state() != io.pgtier.api.BreakerState.OPEN) {
                return true;
            }
        }
        return false;
    }

    /**
     * Standbys and tiers of unknown role first, spread by load (an unknown tier is probably a
     * standby, and trying it is how its role becomes known), then writable tiers in walk order.
     */
    private List<Tier> standbysFirst(List<Tier> usable) {
        List<Tier> readable = new ArrayList<>();
        List<Tier> writable = new ArrayList<>();
        for (Tier tier : usable) {
            (tier.role() == Role.WRITABLE ? writable : readable).add(tier);
        }
        if (readable.size() > 1) {
            // Rotate before the stable sort: among equally loaded standbys the rotation decides.
            Collections.rotate(readable, -Math.floorMod(roundRobin.getAndIncrement(), readable.size()));
            // Loads move while we sort; a snapshot keeps the comparator consistent.
            Map<Tier, Integer> load = new IdentityHashMap<>();
            readable.forEach(tier -> load.put(tier, tier.openConnections()));
            readable.sort(Comparator.comparingInt(load::get));
        }
        readable.addAll(writable);
        return readable;
    }
}
