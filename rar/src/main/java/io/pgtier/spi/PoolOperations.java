package io.pgtier.spi;

import io.pgtier.api.BreakerState;
import io.pgtier.api.PgTierEvent;
import io.pgtier.api.Purpose;
import io.pgtier.api.TierId;
import io.pgtier.observe.EventLog;
import io.pgtier.ra.TierRegistry;
import io.pgtier.tier.Tier;
import io.pgtier.tier.TierSelector;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * An operator's actions on one pool's tiers, and the record of what the pool decided:
 * <ul>
 *   <li><b>drain</b> a tier: no new connections to it (for every pool of the adapter: tiers are
 *       shared); idle ones are reported invalid, in-use ones retire when returned, never taken from
 *       a bean;</li>
 *   <li><b>prefer</b> a tier: a planned switchover. It becomes this pool's first choice while it
 *       can serve; connections on the other tiers retire as they are returned, so the work moves
 *       over. {@code status().sessions()} shows when the old tier holds none. A preference never
 *       takes work from the only tier that can serve: when the preferred one cannot, the walk order
 *       applies;</li>
 *   <li><b>resume</b> a tier: undoes its drain, and this pool's preference; as at a failback, the
 *       connections of lower tiers retire as they are returned, so the work moves back.</li>
 * </ul>
 * Every action is recorded in the adapter's {@link EventLog} with who asked, and so is new work
 * of a READ_WRITE pool moving to another tier.
 */
final class PoolOperations {

    private final PoolRuntime pool;
    private final TierSelector selector;
    private final EventLog events;
    private final TierRegistry registry;
    private volatile Tier preferred;
    private volatile Tier lastServed;
    /** When the last PGT-309 was recorded ({@link System#nanoTime()}): leaks are counted always, recorded at most every 10 s. */
    private final java.util.concurrent.atomic.AtomicLong lastLeakEvent = new java.util.concurrent.atomic.AtomicLong(
            System.nanoTime() - LEAK_EVENT_SPACING_NANOS);
    private static final long LEAK_EVENT_SPACING_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(10);

    PoolOperations(PoolRuntime pool, TierSelector selector, TierRegistry registry) {
        this.pool = pool;
        this.selector = selector;
        this.registry = registry;
        this.events = registry.events();
    }

    void drain(String tier, String actor) {
        Tier t = tier(tier);
        t.drain();
        pool.adapter().retireIdle(t);
        record(EventLog.Kind.DRAINED, t, "drained: no new connections; idle ones retired, in-use ones when returned"
                + (pool.otherCanServe(t) ? "" : "; no other tier can serve this pool now"), actor);
    }

    void prefer(String tier, String actor) {
        Tier t = tier(tier);
        preferred = t;
        selector.prefer(t);
        if (preferredServing() != null) {
            for (Tier other : pool.tiers()) {
                if (other != t) {
                    pool.retireIdle(other);
                }
            }
        }
        record(EventLog.Kind.PREFERRED, t, "preferred: new connections go here while it can serve; those on other"
                + " tiers retire as they are returned", actor);
    }

    void resume(String tier, String actor) {
        Tier t = tier(tier);
        t.resume();
        boolean hadPreference = preferred != null;
        preferred = null;
        selector.prefer(null);
        if (t.state() == io.pgtier.api.TierState.UP) {
            // As a failback: the work that moved down while it was drained moves back as it is returned.
            registry.retireBelow(t);
            for (Tier lower : registry.all()) {
                if (lower.id().compareTo(t.id()) > 0) {
                    pool.adapter().retireIdle(lower);
                }
            }
        }
        record(EventLog.Kind.RESUMED, t, "resumed: back to " + t.state() + (hadPreference ? ", walk order restored" : "")
                + "; connections on lower tiers retire as they are returned", actor);
    }

    /** The tier the operator prefers for this pool, while it can serve; {@code null} otherwise. */
    Tier preferredServing() {
        Tier t = preferred;
        if (t == null || selector.exclusion(t, pool.purpose()).isPresent() || t.breaker().state() == BreakerState.OPEN) {
            return null;
        }
        return t;
    }

    TierId preferredId() {
        Tier t = preferred;
        return t == null ? null : t.id();
    }

    /** A new connection of this pool is on {@code tier}: recorded when a READ_WRITE pool's new work moved. */
    void served(Tier tier) {
        Tier before = lastServed;
        if (before == tier) {
            return;
        }
        lastServed = tier;
        if (before != null && pool.purpose() == Purpose.READ_WRITE) {
            record(EventLog.Kind.WORK_MOVED, tier, "new connections go here now, no longer to tier " + before.id().label()
                    + " (" + before.state() + ", breaker " + before.breaker().state() + ")", null);
        }
    }

    /** A leaked handle was closed at transaction end; {@code total} since start. */
    void leakReclaimed(Tier tier, long total) {
        long last = lastLeakEvent.get();
        long now = System.nanoTime();
        if (now - last >= LEAK_EVENT_SPACING_NANOS && lastLeakEvent.compareAndSet(last, now)) {
            record(EventLog.Kind.LEAKS_RECLAIMED, tier, "connections a bean left open were closed at transaction end, "
                    + total + " since start (PGT-213 in the log names each; recordAcquisitionSite=true says where)", null);
        }
    }

    /** The events of this pool, and of its tiers. */
    List<PgTierEvent> recent() {
        Set<String> mine = pool.tiers().stream().map(t -> t.id() + " " + t.endpoint().safeUrl()).collect(Collectors.toSet());
        Predicate<PgTierEvent> concerns = e -> pool.name().equals(e.pool())
                || e.pool() == null && e.tier() != null && mine.contains(e.tier() + " " + e.endpoint());
        return events.recent(concerns);
    }

    private void record(EventLog.Kind kind, Tier tier, String reason, String actor) {
        events.record(kind, pool.name(), tier.id(), tier.endpoint().safeUrl(), reason, actor);
    }

    /** This pool's tier named {@code label} ("primary", "backup", "failover"); a clear error otherwise. */
    private Tier tier(String label) {
        String wanted = label == null ? "" : label.strip().toLowerCase(Locale.ROOT);
        for (Tier t : pool.tiers()) {
            if (t.id().label().equals(wanted)) {
                return t;
            }
        }
        throw new IllegalArgumentException(Messages.unknownTier(pool.name(), label,
                pool.tiers().stream().map(t -> t.id().label()).toList()));
    }
}
