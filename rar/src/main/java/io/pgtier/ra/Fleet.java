package io.pgtier.ra;

import io.pgtier.api.InstanceView;
import io.pgtier.api.TierState;
import io.pgtier.grid.Grid;
import io.pgtier.grid.Grids;
import io.pgtier.grid.SharedAction;
import io.pgtier.grid.Views;
import io.pgtier.observe.EventLog;
import io.pgtier.tier.Tier;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * This instance among the others that run the same pools, through the server's data grid
 * ({@link Grids}); without one, this instance alone, as before.
 *
 * <p><b>Operator actions apply to every instance.</b> A drain, resume or preference is written to
 * the grid's state as a versioned {@link SharedAction} (the newest per tier and per pool) and
 * applied here at once; every other instance hears of it and applies it too, and an instance that
 * joins later, or restarts, applies the whole state when it joins. After a split of the grid heals,
 * the newer action of each key wins ({@link SharedAction}): an instance whose side's action lost
 * the grid's merge writes it back. A drain heard from another instance is not applied where a pool
 * of this instance would have no other tier that serves it (a route may fail for one instance
 * only): it waits, with an event, and is retried each monitor round.
 *
 * <p><b>What names a tier across instances</b>: see {@link FleetNames}.
 *
 * <p><b>Role changes are hints.</b> When this instance's monitor sees a tier change (down, up, a
 * promotion or demotion, a restart), the others re-probe that tier at once; each still routes on
 * its own probe only, so no instance avoids a tier it can reach because another could not.
 *
 * <p><b>Views.</b> Each monitor round, every instance shares its view of its tiers; they expire when
 * their instance stops. Actions and views are serialised by this object's lock; grid events are
 * handed to the container's work manager, never run on the grid's threads.
 */
public final class Fleet implements Grid.Listener {

    static final String DRAINED = "drained";
    static final String RESUMED = "resumed";
    static final String NONE = "none";
    private static final String POOL = "pool ";
    private static final Logger LOG = Logger.getLogger(Fleet.class.getName());

    private final PgTierResourceAdapter adapter;
    private final FleetNames names;
    private final Clock clock;
    private volatile Supplier<Grid> gridFinder;
    private volatile Executor work = Runnable::run;
    private volatile long viewSeconds = 60;
    private volatile Grid grid;
    /** The newest action this instance knows of, per key: what it writes back when a healed split lost it. */
    private final Map<String, SharedAction> known = new ConcurrentHashMap<>();
    /** Drains from other instances not applied here yet, each reported once. */
    private final Set<SharedAction> heldBack = ConcurrentHashMap.newKeySet();

    Fleet(PgTierResourceAdapter adapter, Clock clock) {
        this.adapter = adapter;
        this.names = new FleetNames(adapter);
        this.clock = clock;
        this.gridFinder = () -> Grids.find(this);
    }

    /** A grid of the caller's making instead of the server's (a test's, outside a container). */
    void useGrid(java.util.function.Function<Grid.Listener, Grid> grids) {
        this.gridFinder = () -> grids.apply(this);
    }

    /** Joins the grid, if the server runs one; {@code work} runs what the grid tells. */
    void start(Executor work) {
        this.work = work;
        join();
    }

    /**
     * Each monitor round: joins the grid if it came up since (Payara may start it after the adapter),
     * applies any action that waited, and shares this instance's view for {@code viewSeconds}.
     */
    void round(long viewSeconds) {
        this.viewSeconds = viewSeconds;
        join();
        if (grid != null) {
            reconcile();
            shareView();
        }
    }

    /** A pool was made: it follows the shared state before its first connection (the grid joined first, if it is up). */
    public void poolCreated() {
        join();
        reconcile();
    }

    private void shareView() {
        Grid g = grid;
        if (g != null) {
            g.putView(Views.encode(localView()), viewSeconds);
        }
    }

    void stop() {
        Grid g = grid;
        grid = null;
        if (g != null) {
            g.close();
        }
    }

    private void join() {
        if (grid != null) {
            return;
        }
        synchronized (this) {
            if (grid != null) {
                return;
            }
            Grid found = gridFinder.get();
            if (found == null) {
                return;
            }
            grid = found;
            joined(found);
        }
    }

    private void joined(Grid found) {
        LOG.info(() -> "PGT-241 pgtier: joined the server's data grid as instance " + found.instance()
                + ": operator actions apply to every instance in it, and role changes are shared as hints");
        found.state().forEach(this::learn);
        reconcile();
    }

    /** Whether this instance shares a data grid with others. */
    public boolean clustered() {
        return grid != null;
    }

    /** This instance's name: the grid's, or the server's own without one. */
    public String instance() {
        Grid g = grid;
        return g != null ? g.instance() : System.getProperty("com.sun.aas.instanceName", "this instance");
    }

    /** An operator drains {@code tier} here (the pool already checked it may): shared, then applied. */
    public void drain(Tier tier, String pool, String actor) {
        shareTier(tier, pool, actor, DRAINED);
    }

    /** An operator resumes {@code tier} here: shared, then applied. */
    public void resume(Tier tier, String pool, String actor) {
        shareTier(tier, pool, actor, RESUMED);
    }

    /** An operator gives {@code pool} a preference ({@code tierLabel}), or ends it ({@code null}). */
    public synchronized void prefer(String pool, String tierLabel, String actor) {
        String key = POOL + pool;
        SharedAction action = share(key, pool, actor, tierLabel == null ? NONE : tierLabel);
        apply(key, action, true);
    }

    private synchronized void shareTier(Tier tier, String pool, String actor, String value) {
        SharedAction action = null;
        for (String key : names.keys(tier)) {
            action = share(key, pool, actor, value);
        }
        if (action == null) {
            action = SharedAction.after(null, clock.millis(), instance(), actor, pool, value);
        }
        if (DRAINED.equals(value)) {
            applyDrain(tier, action, true);
        } else {
            applyResume(tier, action, true);
        }
        if (grid != null) {
            later(this::shareView);
        }
    }

    /** Runs {@code task} on the container's work manager; dropped, with a note, when it refuses (the adapter is stopping). */
    private void later(Runnable task) {
        try {
            work.execute(task);
        } catch (RuntimeException refused) {
            LOG.log(Level.FINE, "pgtier: grid work not scheduled", refused);
        }
    }

    /** Writes the next action of {@code key} to the grid (when there is one) and remembers it. */
    private SharedAction share(String key, String pool, String actor, String value) {
        SharedAction action;
        Grid g = grid;
        if (g == null) {
            action = SharedAction.after(known.get(key), clock.millis(), instance(), actor, pool, value);
        } else {
            String current;
            do {
                current = g.state(key);
                action = SharedAction.after(SharedAction.newer(SharedAction.decode(current), known.get(key)),
                        clock.millis(), g.instance(), actor, pool, value);
            } while (!g.replace(key, current, action.encode()));
        }
        known.put(key, action);
        return action;
    }

    private void learn(String key, String value) {
        SharedAction action = SharedAction.decode(value);
        if (action != null) {
            known.merge(key, action, SharedAction::newer);
        }
    }

    /** Applies every action known: one that waited may apply now, and a pool made since gets its preference. */
    public synchronized void reconcile() {
        known.forEach((key, action) -> apply(key, action, false));
    }

    /** Makes this instance follow {@code action}; {@code local}: an operator took it here, just now. */
    private void apply(String key, SharedAction action, boolean local) {
        try {
            if (key.startsWith(POOL)) {
                String pool = key.substring(POOL.length());
                adapter.sharedPreference(pool, NONE.equals(action.value()) ? null : action.value(), action, local);
                return;
            }
            for (Tier tier : names.tiersOf(key)) {
                if (DRAINED.equals(action.value())) {
                    applyDrain(tier, action, local);
                } else {
                    applyResume(tier, action, local);
                }
            }
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "pgtier: could not apply " + action.value() + " of " + key + " from instance "
                    + action.instance(), e);
        }
    }

    private void applyDrain(Tier tier, SharedAction action, boolean local) {
        if (tier.state() == TierState.DRAINED && !local) {
            return;
        }
        if (!local && !adapter.everyPoolServesWithout(tier)) {
            if (heldBack.add(action)) {
                record(EventLog.Kind.HELD_BACK, tier, action, "drained on instance " + action.instance()
                        + ", not here yet: a pool of this instance has no other tier that can serve it now;"
                        + " applied as soon as one can");
            }
            return;
        }
        tier.drain();
        adapter.retireIdle(tier);
        record(EventLog.Kind.DRAINED, tier, action, "drained through pool " + action.pool() + where(action)
                + ": no new connections for any pool; idle ones ended, in-use ones retire when returned");
    }

    private void applyResume(Tier tier, SharedAction action, boolean local) {
        boolean wasDrained = tier.state() == TierState.DRAINED;
        if (!wasDrained && !local) {
            return;
        }
        tier.resume();
        boolean back = wasDrained && tier.state() == TierState.UP;
        if (back) {
            // As a failback: the work that moved down while it was drained moves back as it is returned.
            adapter.tiers().retireBelow(tier);
            for (Tier lower : adapter.tiers().all()) {
                if (lower.id().compareTo(tier.id()) > 0) {
                    adapter.retireIdle(lower);
                }
            }
        }
        record(EventLog.Kind.RESUMED, tier, action, "resumed through pool " + action.pool() + where(action) + ": "
                + tier.state() + (back ? "; connections on lower tiers retire as they are returned" : ""));
    }

    /** " on instance x" when the grid is shared, so an event says where an action was taken. */
    private String where(SharedAction action) {
        return clustered() ? " on instance " + action.instance() : "";
    }

    private void record(EventLog.Kind kind, Tier tier, SharedAction action, String reason) {
        adapter.tiers().events().record(kind, action.pool(), tier.id(), tier.endpoint().safeUrl(), reason,
                action.actor(), clustered() ? action.instance() : null);
    }

    /** This instance's monitor saw {@code what} on {@code tier}: the other instances re-probe it. */
    void seen(Tier tier, String what) {
        Grid g = grid;
        if (g != null) {
            String hint = names.hint(tier);
            later(() -> {
                g.hint(hint, what);
                shareView();
            });
        }
    }

    @Override
    public void stateChanged(String key, String value) {
        SharedAction action = SharedAction.decode(value);
        if (action == null) {
            return;
        }
        later(() -> {
            synchronized (this) {
                SharedAction mine = known.get(key);
                if (mine != null && mine.isNewerThan(action)) {
                    writeBack(key);
                    return;
                }
                known.put(key, action);
                apply(key, action, false);
            }
            shareView();
        });
    }

    @Override
    public void hinted(String key, String what, String from) {
        Grid g = grid;
        if (g == null || from.equals(g.instance())) {
            return;
        }
        later(() -> {
            for (Tier tier : names.hinted(key)) {
                if (adapter.monitor() != null && adapter.monitor().probeNow(tier)) {
                    adapter.tiers().events().record(EventLog.Kind.HINTED, null, tier.id(), tier.endpoint().safeUrl(),
                            "re-probed now: instance " + from + " saw it " + what + "; this instance routes on its own probe",
                            null, from);
                }
            }
        });
    }

    @Override
    public void merged() {
        later(() -> {
            synchronized (this) {
                known.keySet().forEach(this::writeBack);
                Grid g = grid;
                if (g != null) {
                    g.state().forEach(this::learn);
                }
                reconcile();
            }
        });
    }

    /** The grid holds an older action for {@code key} than this instance knows (a healed split): the newer goes back. */
    private void writeBack(String key) {
        Grid g = grid;
        SharedAction mine = known.get(key);
        if (g == null || mine == null) {
            return;
        }
        String current = g.state(key);
        while (mine.isNewerThan(SharedAction.decode(current)) && !g.replace(key, current, mine.encode())) {
            current = g.state(key);
        }
    }

    /** Every instance's view of its tiers, by instance name; this instance alone without a grid. */
    public List<InstanceView> views() {
        Grid g = grid;
        return g == null ? List.of(localView()) : FleetViews.all(g.views(), localView());
    }

    private InstanceView localView() {
        return FleetViews.local(adapter, instance(), clock.instant());
    }
}
