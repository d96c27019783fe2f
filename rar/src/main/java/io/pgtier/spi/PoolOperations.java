package io.pgtier.spi;

import io.pgtier.api.BreakerState;
import io.pgtier.api.PgTierEvent;
import io.pgtier.api.Purpose;
import io.pgtier.api.TierId;
import io.pgtier.api.TierState;
import io.pgtier.grid.SharedAction;
import io.pgtier.observe.EventLog;
import io.pgtier.ra.TierRegistry;
import io.pgtier.tier.Tier;
import io.pgtier.tier.TierSelector;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * An operator's actions on one pool's tiers, and the record of what the pool decided:
 * <ul>
 *   <li><b>drain</b> a tier: no new connections to it (for every pool of the adapter: tiers are
 *       shared); idle ones end at once, in-use ones retire when returned, never taken from a bean.
 *       Refused while some pool of the adapter has no other tier that can serve it: an action may
 *       move work, never take away the only tier able to serve;</li>
 *   <li><b>prefer</b> a tier: a planned switchover. It becomes this pool's first choice while it
 *       serves fully (up, breaker closed, not on probation); the connections opened before, on the
 *       other tiers, retire as they are returned, so the work moves over, and
 *       {@code status().sessions()} shows when the old tier holds none. Connections opened since on
 *       another tier (the preferred one's cap was full, or it failed) are kept: no reconnect churn.
 *       Refused for a tier this pool cannot use (drained, or a known standby for READ_WRITE);</li>
 *   <li><b>resume</b> a tier: undoes its drain (and, as at a failback, the lower tiers' connections
 *       retire as they are returned), and this pool's preference if it was that tier.</li>
 * </ul>
 * Every action is recorded in the adapter's {@link EventLog} with who asked, and so is new work of
 * a READ_WRITE pool leaving a tier that stopped serving. This class checks an action; the adapter's
 * {@link io.pgtier.ra.Fleet} shares it with the other instances of the server's data grid, if any,
 * and applies it (serialised there), here and on each of them.
 */
final class PoolOperations {

    private static final long LEAK_EVENT_SPACING_NANOS = TimeUnit.SECONDS.toNanos(10);

    /** The operator's preference: the tier and when it was given ({@link System#nanoTime()}). */
    record Preference(Tier tier, long sinceNanos) {
    }

    private final PoolRuntime pool;
    private final TierSelector selector;
    private final EventLog events;
    private volatile Preference preference;
    private final AtomicReference<Tier> lastServed = new AtomicReference<>();
    /** When the last PGT-309 was recorded: leaks are counted always, recorded at most every 10 s. */
    private final AtomicLong lastLeakEvent = new AtomicLong(System.nanoTime() - LEAK_EVENT_SPACING_NANOS);

    PoolOperations(PoolRuntime pool, TierSelector selector, TierRegistry registry) {
        this.pool = pool;
        this.selector = selector;
        this.events = registry.events();
    }

    void drain(String tier, String actor) {
        Tier t = tier(tier);
        if (!pool.adapter().everyPoolServesWithout(t)) {
            throw new IllegalStateException(Messages.lastTier(pool.name(), t.id().label()));
        }
        pool.adapter().fleet().drain(t, pool.name(), actor);
    }

    void prefer(String tier, String actor) {
        Tier t = tier(tier);
        if (selector.exclusion(t, pool.purpose()).isPresent() && t.state() != TierState.DOWN) {
            throw new IllegalStateException(Messages.cannotPrefer(pool.name(), t.id().label(),
                    selector.exclusion(t, pool.purpose()).get()));
        }
        pool.adapter().fleet().prefer(pool.name(), t.id().label(), actor);
    }

    void resume(String tier, String actor) {
        Tier t = tier(tier);
        Preference p = preference;
        if (p != null && p.tier() == t) {
            pool.adapter().fleet().prefer(pool.name(), null, actor);
        }
        pool.adapter().fleet().resume(t, pool.name(), actor);
    }

    /**
     * Follows the preference shared for this pool's name ({@link io.pgtier.ra.Fleet}): {@code label}'s
     * tier first while it serves, or walk order for {@code null}. {@code local}: an operator gave it
     * here, just now, so it is recorded even when nothing changes. A label this pool lacks is ignored.
     */
    void applyPreference(String label, SharedAction action, boolean local) {
        Tier t = label == null ? null : pool.tiers().stream().filter(x -> x.id().label().equals(label)).findFirst().orElse(null);
        Preference p = preference;
        if (label == null) {
            if (p != null) {
                preference = null;
                selector.prefer(null);
                record(EventLog.Kind.PREFERRED, p.tier(), "preference ended through pool " + pool.name() + where(action)
                        + ": walk order restored", action);
            }
            return;
        }
        if (t == null || !local && p != null && p.tier() == t) {
            return;
        }
        preference = new Preference(t, System.nanoTime());
        selector.prefer(t);
        if (preferredServing() != null) {
            for (Tier other : pool.tiers()) {
                if (other != t) {
                    pool.retireIdle(other);
                }
            }
        }
        record(EventLog.Kind.PREFERRED, t, "preferred by pool " + pool.name() + where(action) + ": new connections go"
                + " here while it serves; those opened before on other tiers retire as they are returned"
                + (preferredServing() == null ? " (it does not serve now: " + t.state() + ", breaker "
                        + t.breaker().state() + ")" : ""), action);
    }

    private String where(SharedAction action) {
        return pool.adapter().fleet().clustered() ? " on instance " + action.instance() : "";
    }

    /**
     * Why a connection opened at {@code createdNanos} on {@code tier} should move to the preferred
     * tier, or {@code null}. Cheap when there is no preference: one volatile read.
     */
    String movesToPreferred(Tier tier, long createdNanos) {
        Preference p = preference;
        if (p == null || p.tier() == tier || createdNanos - p.sinceNanos() >= 0 || preferredServing() == null) {
            return null;
        }
        return "tier " + p.tier().id().label() + " preferred by the operator";
    }

    /** The preferred tier while it serves fully: up, breaker closed, not on probation, a role this pool uses. */
    private Tier preferredServing() {
        Preference p = preference;
        if (p == null) {
            return null;
        }
        Tier t = p.tier();
        if (t.state() != TierState.UP || t.breaker().state() != BreakerState.CLOSED
                || selector.exclusion(t, pool.purpose()).isPresent()) {
            return null;
        }
        return t;
    }

    TierId preferredId() {
        Preference p = preference;
        return p == null ? null : p.tier().id();
    }

    /**
     * A new connection of this pool is on {@code tier}. Recorded when a READ_WRITE pool's new work
     * left a tier that stopped serving (excluded, or its breaker open): a full cap spilling over to
     * the next tier is not news.
     */
    void served(Tier tier) {
        Tier before = lastServed.getAndSet(tier);
        if (before == null || before == tier || pool.purpose() != Purpose.READ_WRITE
                || tier.id().compareTo(before.id()) < 0) {
            return;
        }
        boolean left = selector.exclusion(before, pool.purpose()).isPresent() || before.breaker().state() == BreakerState.OPEN;
        if (left) {
            pool.meters().of(tier).failover();
            record(EventLog.Kind.WORK_MOVED, tier, "new connections of pool " + pool.name() + " go here now, no longer"
                    + " to tier " + before.id().label() + " (" + before.state() + ", breaker " + before.breaker().state() + ")");
        }
    }

    /** A leaked handle was closed at transaction end; {@code total} since start. */
    void leakReclaimed(Tier tier, long total) {
        long last = lastLeakEvent.get();
        long now = System.nanoTime();
        if (now - last >= LEAK_EVENT_SPACING_NANOS && lastLeakEvent.compareAndSet(last, now)) {
            record(EventLog.Kind.LEAKS_RECLAIMED, tier, "connections a bean left open were closed at transaction end, "
                    + total + " since start (PGT-213 in the log names each; recordAcquisitionSite=true says where)");
        }
    }

    /** The events of this pool, and of its tiers (the same {@link Tier} objects, whichever pool acted on them). */
    List<PgTierEvent> recent() {
        List<String> mine = pool.tiers().stream().map(PoolOperations::key).toList();
        return events.recent(e -> pool.name().equals(e.pool()) || e.tier() != null
                && mine.contains(e.tier() + " " + e.endpoint()) && (e.pool() == null || isTierEvent(e)));
    }

    /** Drain and resume concern the tier for every pool: they show in each pool that has it. */
    private static boolean isTierEvent(PgTierEvent e) {
        return e.id().equals(EventLog.Kind.DRAINED.id()) || e.id().equals(EventLog.Kind.RESUMED.id())
                || e.id().equals(EventLog.Kind.HELD_BACK.id());
    }

    private static String key(Tier t) {
        return t.id() + " " + t.endpoint().safeUrl();
    }

    /** pgtier's own decision about this pool. */
    private void record(EventLog.Kind kind, Tier tier, String reason) {
        events.record(kind, pool.name(), tier.id(), tier.endpoint().safeUrl(), reason, null);
    }

    private void record(EventLog.Kind kind, Tier tier, String reason, SharedAction action) {
        events.record(kind, pool.name(), tier.id(), tier.endpoint().safeUrl(), reason, action.actor(),
                pool.adapter().fleet().clustered() ? action.instance() : null);
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
