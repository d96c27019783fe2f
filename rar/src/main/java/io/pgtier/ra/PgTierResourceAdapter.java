package io.pgtier.ra;

import io.pgtier.tier.BreakerListener;
import jakarta.resource.ResourceException;
import jakarta.resource.spi.ActivationSpec;
import jakarta.resource.spi.BootstrapContext;
import jakarta.resource.spi.ConfigProperty;
import jakarta.resource.spi.Connector;
import jakarta.resource.spi.ResourceAdapter;
import jakarta.resource.spi.ResourceAdapterInternalException;
import jakarta.resource.spi.TransactionSupport;
import jakarta.resource.spi.endpoint.MessageEndpointFactory;
import jakarta.resource.spi.work.Work;
import jakarta.resource.spi.work.WorkException;
import jakarta.resource.spi.work.WorkManager;
import jakarta.transaction.TransactionSynchronizationRegistry;
import java.io.Serializable;
import java.sql.Driver;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.Timer;
import java.util.TimerTask;
import java.util.concurrent.RejectedExecutionException;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.transaction.xa.XAResource;

/**
 * pgtier's resource adapter: one instance per deployment, owning what its pools share — the tiers
 * (caps, breakers, health) and the container's transaction registry. Nothing is static, so two
 * deployments, or a redeployment, never see each other's state.
 *
 * <p>{@link #start} starts the {@link HealthMonitor}: the container's timer schedules rounds and
 * the container's work manager runs the probes; {@link #stop()} cancels both, so no thread of
 * ours survives an undeploy.
 *
 * <p>{@link #stop()} also deregisters the PostgreSQL driver that pgjdbc registers with
 * {@link DriverManager} on class loading: left there it pins this RAR's class loader after
 * undeploy.
 */
@Connector(
        displayName = "pgtier",
        description = "Tiered PostgreSQL connections (primary, backup, failover) with failover, failback,"
                + " health and metrics",
        vendorName = "pgtier",
        eisType = "PostgreSQL",
        version = "0.1",
        transactionSupport = TransactionSupport.TransactionSupportLevel.XATransaction,
        reauthenticationSupport = false)
public class PgTierResourceAdapter implements ResourceAdapter, Serializable {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = Logger.getLogger(PgTierResourceAdapter.class.getName());

    @ConfigProperty(type = Integer.class, defaultValue = "5",
            description = "Seconds between health probes of every tier (1-3600).")
    private Integer healthCheckIntervalSeconds = 5;

    @ConfigProperty(type = Integer.class, defaultValue = "1",
            description = "Timeout of one health probe (connect, log in, query), in seconds (1-60); work that has not"
                    + " returned for this long gets its tier probed at once.")
    private Integer probeTimeoutSeconds = 1;

    @ConfigProperty(type = Integer.class, defaultValue = "2",
            description = "Failed probes in a row before a tier is declared down and its breaker opened (1-100).")
    private Integer probeFailuresBeforeDown = 2;

    private final transient TierRegistry tiers = new TierRegistry(io.pgtier.tier.BreakerListener.NONE, this::trialsPassed);
    private transient volatile TransactionSynchronizationRegistry transactions;
    private transient volatile HealthMonitor monitor;
    private transient Timer timer;
    private final transient Fleet fleet = new Fleet(this, java.time.Clock.systemUTC());
    private final transient java.util.concurrent.ConcurrentMap<String, Object> newestPools = new java.util.concurrent.ConcurrentHashMap<>();
    private final transient List<AutoCloseable> stopActions = Collections.synchronizedList(new java.util.ArrayList<>());
    private final transient Set<TierDownListener> downListeners = Collections.synchronizedSet(
            Collections.newSetFromMap(new java.util.IdentityHashMap<>()));

    @Override
    public void start(BootstrapContext context) throws ResourceAdapterInternalException {
        int interval = check("healthCheckIntervalSeconds", healthCheckIntervalSeconds, 1, 3600);
        int probeTimeout = check("probeTimeoutSeconds", probeTimeoutSeconds, 1, 60);
        int failures = check("probeFailuresBeforeDown", probeFailuresBeforeDown, 1, 100);
        try {
            transactions = context.getTransactionSynchronizationRegistry();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "pgtier: no TransactionSynchronizationRegistry from the container;"
                    + " its pools refuse to take part in transactions (PGT-221)", e);
        }
        WorkManager work = context.getWorkManager();
        monitor = new HealthMonitor(tiers, probe -> schedule(work, probe), probeTimeout, failures, new TierDownListener() {
            @Override
            public void tierDown(io.pgtier.tier.Tier tier, long stalledBeforeNanos) {
                tellListeners(tier, listener -> listener.tierDown(tier, stalledBeforeNanos));
            }

            @Override
            public void endStalled(io.pgtier.tier.Tier tier, long stalledBeforeNanos) {
                tellListeners(tier, listener -> listener.endStalled(tier, stalledBeforeNanos));
            }

            @Override
            public void serverRestarted(io.pgtier.tier.Tier tier, String server, long startedAtMillis) {
                tellListeners(tier, listener -> listener.serverRestarted(tier, server, startedAtMillis));
            }

            @Override
            public boolean awaitsPromotion(io.pgtier.tier.Tier standby) {
                return listeners().stream().anyMatch(pool -> pool.awaitsPromotion(standby));
            }

            @Override
            public void seen(io.pgtier.tier.Tier tier, String what) {
                fleet.seen(tier, what);
            }

            @Override
            public long oldestExecutionNanos(io.pgtier.tier.Tier tier) {
                long oldest = 0;
                for (TierDownListener pool : listeners()) {
                    oldest = TierDownListener.older(oldest, pool.oldestExecutionNanos(tier));
                }
                return oldest;
            }
        });
        try {
            timer = context.createTimer();
        } catch (jakarta.resource.spi.UnavailableException e) {
            throw new ResourceAdapterInternalException("pgtier: the container gave no timer for the health monitor", e);
        }
        HealthMonitor rounds = monitor;
        java.util.concurrent.Executor runs = task -> schedule(work, task);
        fleet.start(runs);
        // A view outlives a few missed rounds, not its instance.
        long viewSeconds = Math.max(15, 3L * interval + 5);
        timer.schedule(new TimerTask() {
            @Override
            public void run() {
                rounds.round();
                try {
                    runs.execute(() -> fleet.round(viewSeconds));
                } catch (RuntimeException rejected) {
                    LOG.log(Level.FINE, "pgtier: the grid's round was not scheduled", rejected);
                }
            }
        }, 1_000L, interval * 1_000L);
        timer.schedule(new TimerTask() {
            @Override
            public void run() {
                rounds.tick();
            }
        }, HealthMonitor.TICK_MILLIS, HealthMonitor.TICK_MILLIS);
        LOG.info("pgtier resource adapter started; health probes every " + interval + " s");
    }

    private static void schedule(WorkManager manager, Runnable probe) {
        try {
            manager.scheduleWork(new Work() {
                @Override
                public void run() {
                    probe.run();
                }

                @Override
                public void release() {
                    // a probe is bounded by its own timeouts; nothing to interrupt
                }
            });
        } catch (WorkException e) {
            throw new RejectedExecutionException(e);
        }
    }

    private static int check(String property, Integer value, int min, int max) throws ResourceAdapterInternalException {
        if (value == null || value < min || value > max) {
            throw new ResourceAdapterInternalException("PGT-110 pgtier: invalid " + property + " = " + value
                    + ": allowed: " + min + " to " + max);
        }
        return value;
    }

    /** CPU time the health monitor has used since start, in microseconds; 0 outside a container. */
    public long monitorCpuMicros() {
        HealthMonitor current = monitor;
        return current == null ? 0 : current.cpuMicros();
    }

    /** When the health monitor last started a round of probes; {@code null} outside a container or before the first. */
    public Instant lastHealthCheck() {
        HealthMonitor current = monitor;
        return current == null ? null : current.lastRound();
    }

    @Override
    public void stop() {
        if (timer != null) {
            timer.cancel();
        }
        closeAtStop();
        fleet.stop();
        if (monitor != null) {
            monitor.stop();
        }
        ClassLoader ours = PgTierResourceAdapter.class.getClassLoader();
        for (Driver driver : Collections.list(DriverManager.getDrivers())) {
            if (driver.getClass().getClassLoader() == ours) {
                try {
                    DriverManager.deregisterDriver(driver);
                } catch (SQLException e) {
                    LOG.log(Level.WARNING, "pgtier: could not deregister " + driver, e);
                }
            }
        }
        transactions = null;
        LOG.info("pgtier resource adapter stopped");
    }

    /**
     * A pool asks to hear of tiers going down. Held strongly: the container may keep using a pool
     * whose factory it holds in ways we cannot see; a reconfigured pool leaves a small stale entry
     * with no connections until the adapter restarts.
     */
    public void onTierDown(TierDownListener listener) {
        downListeners.add(listener);
    }

    /**
     * The newest pool of each name, for a pool to find the one that succeeds it: Payara re-creates a
     * pool whose properties change, while beans keep the old pool's connection factory. Opaque here
     * (pools are the {@code spi} package's); {@code PoolRuntime} reads and writes it.
     */
    public java.util.concurrent.ConcurrentMap<String, Object> newestPools() {
        return newestPools;
    }

    /** Something a pool set up that the adapter's stop undoes (its JMX bean). */
    public void atStop(AutoCloseable cleanup) {
        if (cleanup != null) {
            stopActions.add(cleanup);
        }
    }

    private void closeAtStop() {
        List<AutoCloseable> actions;
        synchronized (stopActions) {
            actions = List.copyOf(stopActions);
            stopActions.clear();
        }
        for (AutoCloseable action : actions) {
            try {
                action.close();
            } catch (Exception e) {
                LOG.log(Level.WARNING, "pgtier: stopping: " + e, e);
            }
        }
    }

    private List<TierDownListener> listeners() {
        synchronized (downListeners) {
            return List.copyOf(downListeners);
        }
    }

    /** Shares through {@code grids} instead of the server's data grid (for tests, which run outside a container). */
    public void useGrid(java.util.function.Function<io.pgtier.grid.Grid.Listener, io.pgtier.grid.Grid> grids) {
        fleet.useGrid(grids);
    }

    /** This instance among the others of the server's data grid: shared operator actions, hints, views. */
    public Fleet fleet() {
        return fleet;
    }

    /** The health monitor; {@code null} outside a container (or before {@code start}). */
    HealthMonitor monitor() {
        return monitor;
    }

    /** The pools of this adapter (a pool re-created by the container is there twice, old and new). */
    List<TierDownListener> pools() {
        return listeners().stream().filter(l -> l.poolName() != null).toList();
    }

    /** Every pool named {@code pool} follows the shared preference; see {@link Fleet}. */
    void sharedPreference(String pool, String tier, io.pgtier.grid.SharedAction action, boolean local) {
        for (TierDownListener listener : listeners()) {
            listener.sharedPreference(pool, tier, action, local);
        }
    }

    /** Whether every pool of the adapter that uses {@code tier} has another tier that can serve it. */
    public boolean everyPoolServesWithout(io.pgtier.tier.Tier tier) {
        return listeners().stream().allMatch(pool -> pool.servesWithout(tier));
    }

    /** Every pool of the adapter ends its idle connections on {@code tier} (an operator's drain). */
    public void retireIdle(io.pgtier.tier.Tier tier) {
        tellListeners(tier, listener -> listener.retireIdle(tier));
    }

    private void tellListeners(io.pgtier.tier.Tier tier, java.util.function.Consumer<TierDownListener> call) {
        for (TierDownListener listener : listeners()) {
            try {
                call.accept(listener);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "pgtier: a pool failed to end the sessions of tier " + tier.id().label(), e);
            }
        }
    }

    /** The tiers shared by this adapter's pools. */
    public TierRegistry tiers() {
        return tiers;
    }

    /** The container's registry, or {@code null} outside a container (or before {@code start}). */
    public TransactionSynchronizationRegistry transactions() {
        return transactions;
    }

    /**
     * The registry for a container whose {@link BootstrapContext} gives none (and for tests that
     * drive the adapter without one): without it no pool takes part in a transaction.
     */
    public void useTransactionSynchronizationRegistry(TransactionSynchronizationRegistry registry) {
        this.transactions = registry;
    }

    @Override
    public void endpointActivation(MessageEndpointFactory factory, ActivationSpec spec) throws ResourceException {
        throw new jakarta.resource.NotSupportedException("pgtier has no inbound (message) contract");
    }

    @Override
    public void endpointDeactivation(MessageEndpointFactory factory, ActivationSpec spec) {
        // no inbound contract
    }

    /** Payara recovers XA branches through the pools' managed connections, not here. */
    @Override
    public XAResource[] getXAResources(ActivationSpec[] specs) {
        return new XAResource[0];
    }

    /**
     * A tier's breaker closed: its half-open trials passed, or a probe or trial connection
     * succeeded. Meanwhile only the trial calls reached it and the pools opened their other new
     * connections on lower tiers; unless the tier is down, suspect or on failback probation (the
     * monitor then fails back when probation ends), those are retired as
     * they are returned, so the work goes back to it instead of staying below until its lifetime.
     * Runs under the breaker's lock: it only bumps generations.
     */
    private void trialsPassed(io.pgtier.tier.Tier tier) {
        if (tier.state() == io.pgtier.api.TierState.UP) {
            tiers.retireBelow(tier);
        }
    }

    public Integer getHealthCheckIntervalSeconds() {
        return healthCheckIntervalSeconds;
    }

    public void setHealthCheckIntervalSeconds(Integer healthCheckIntervalSeconds) {
        this.healthCheckIntervalSeconds = healthCheckIntervalSeconds;
    }

    public Integer getProbeTimeoutSeconds() {
        return probeTimeoutSeconds;
    }

    public void setProbeTimeoutSeconds(Integer probeTimeoutSeconds) {
        this.probeTimeoutSeconds = probeTimeoutSeconds;
    }

    public Integer getProbeFailuresBeforeDown() {
        return probeFailuresBeforeDown;
    }

    public void setProbeFailuresBeforeDown(Integer probeFailuresBeforeDown) {
        this.probeFailuresBeforeDown = probeFailuresBeforeDown;
    }

    // One instance per deployment, owning live state: identity is equality (JCA requires equals/hashCode).
    @Override
    public boolean equals(Object other) {
        return this == other;
    }

    @Override
    public int hashCode() {
        return System.identityHashCode(this);
    }
}
