package io.pgtier.spi;

import io.pgtier.api.PoolMetrics;
import io.pgtier.api.PoolStatus;
import io.pgtier.api.Purpose;
import io.pgtier.api.Role;
import io.pgtier.api.TierId;
import io.pgtier.pg.PgConnector;
import io.pgtier.pg.PgPhysical;
import io.pgtier.pg.SqlStates;
import io.pgtier.ra.PgTierResourceAdapter;
import io.pgtier.tier.Acquired;
import io.pgtier.tier.NoTierAvailableException;
import io.pgtier.tier.TierAttempt;
import io.pgtier.tier.Tier;
import io.pgtier.tier.TierEndpoint;
import io.pgtier.tier.TierSelector;
import io.pgtier.tier.TierWalk;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One pool's working parts, built once from validated {@link Settings}: its tiers (shared with the
 * adapter's other pools), the walk that picks one, the connector that opens sessions, and the
 * judgement of errors. The factory holds one; its managed connections point at it.
 */
final class PoolRuntime implements io.pgtier.ra.TierDownListener {

    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(PoolRuntime.class.getName());

    private final Settings settings;
    private final PgTierResourceAdapter adapter;
    private final List<Tier> tiers;
    private final TierWalk walk;
    private final PgConnector connector;
    private final PoolTransactions transactions;
    private final PoolOperations operations;
    private final java.util.concurrent.atomic.AtomicBoolean exposed = new java.util.concurrent.atomic.AtomicBoolean();
    private final PoolMeters meters;
    private final java.util.Set<PgTierManagedConnection> live = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final java.util.Set<String> rejectionsReported = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final RideThrough rideThrough;

    PoolRuntime(Settings settings, PgTierResourceAdapter adapter) {
        this.settings = settings;
        this.adapter = adapter;
        List<Tier> shared = new ArrayList<>();
        for (Map.Entry<TierId, TierEndpoint> e : settings.endpoints().entrySet()) {
            Tier tier = adapter.tiers().tier(e.getKey(), e.getValue(), settings.breaker());
            tier.failbackAfter(java.time.Duration.ofSeconds(settings.failbackAfterSeconds()));
            shared.add(tier);
        }
        this.tiers = List.copyOf(shared);
        TierSelector selector = new TierSelector(tiers);
        this.walk = new TierWalk(selector, System::nanoTime);
        this.operations = new PoolOperations(this, selector, adapter.tiers());
        this.connector = PgConnector.forEndpoints(settings.endpoints(), settings.options());
        this.transactions = new PoolTransactions(settings.poolName(), adapter::transactions);
        this.meters = new PoolMeters(this, settings.endpoints().keySet());
        this.rideThrough = new RideThrough(settings.rideThroughMillis(), System::nanoTime);
        adapter.onTierDown(this);
        // A session the container let go while its transaction ran ends with the adapter at the latest.
        adapter.atStop(() -> live.forEach(PgTierManagedConnection::endIfDetached));
        PoolSuccession.register(this);
        // Operator actions shared by other instances (a drain, this pool's preference) apply before its first connection.
        adapter.fleet().poolCreated();
    }

    /** The pool that serves this pool's name now: this one, a twin with the same settings, or its successor ({@link PoolSuccession}). */
    PoolRuntime newest() {
        return PoolSuccession.newest(this);
    }

    @Override
    public boolean exposed() {
        return exposed.get();
    }

    /**
     * Registers this pool's JMX bean, once: when the container asks for the pool's connection
     * factory, so that a factory Payara makes only to test a pool (a ping) does not take the name.
     */
    void exposeOnce() {
        if (!exposed.getAndSet(true)) {
            adapter.atStop(PoolJmx.register(this));
        }
    }

    /** A new managed connection of this pool; {@link #forget} when it is destroyed. */
    PgTierManagedConnection track(PgTierManagedConnection connection) {
        live.add(connection);
        return connection;
    }

    void forget(PgTierManagedConnection connection) {
        live.remove(connection);
    }

    /**
     * The monitor declared {@code tier} down. When another tier can take this pool's work, the socket
     * of every session on it is closed: a bean blocked on a hung server gets an I/O error now, on its
     * own thread, which ends that connection there; idle ones are reported invalid when the container
     * next looks. When none can, only the sessions that are stalled (executing since before
     * {@code stalledBeforeNanos}, and for longer than the ride-through window) are ended: the others
     * may still work — a server that refuses new sessions often serves its existing ones — and are
     * validated with a bounded round trip before they are handed out again.
     */
    @Override
    public void tierDown(Tier tier, long stalledBeforeNanos) {
        boolean replaceable = otherCanServe(tier);
        if (!replaceable && live.stream().anyMatch(c -> c.tier() == tier)) {
            LOG.warning(Messages.keptOnDownTier(name(), tier.id().label()));
        }
        for (PgTierManagedConnection connection : live) {
            if (connection.tier() == tier && (replaceable || connection.fitness().stalledBefore(waitedOut(stalledBeforeNanos)))) {
                connection.abortForTierDown();
            }
        }
    }

    /**
     * With no other tier to take the work, a stalled statement is ended only once it has waited as
     * long as a caller of {@code getConnection()} would ({@code rideThroughMillis}): a fault that
     * clears within the window (a black-holed route that comes back) then costs the bean nothing,
     * and after it, waiting cannot help and the bean gets its error instead of {@code socketTimeout}.
     */
    private long waitedOut(long stalledBeforeNanos) {
        long windowStart = System.nanoTime() - TimeUnit.MILLISECONDS.toNanos(settings.rideThroughMillis());
        return windowStart - stalledBeforeNanos < 0 ? windowStart : stalledBeforeNanos;
    }

    @Override
    public void endStalled(Tier tier, long stalledBeforeNanos) {
        long before = otherCanServe(tier) ? stalledBeforeNanos : waitedOut(stalledBeforeNanos);
        for (PgTierManagedConnection connection : live) {
            if (connection.tier() == tier && connection.fitness().stalledBefore(before)) {
                connection.abortForTierDown();
            }
        }
    }

    /** A READ_WRITE pool of {@code standby} with no writable tier serving waits for a promotion. */
    @Override
    public boolean awaitsPromotion(Tier standby) {
        return settings.purpose() == Purpose.READ_WRITE && tiers.contains(standby)
                && tiers.stream().noneMatch(t -> t.state().serves() && t.role() == Role.WRITABLE);
    }

    /** Whether a tier other than {@code tier} can take this pool's new work now. */
    boolean otherCanServe(Tier tier) {
        return walk.selector().otherCanServe(tier, settings.purpose());
    }

    /** A server of the tier began a new run: end the sessions opened on it before, which it no longer has. */
    @Override
    public void serverRestarted(Tier tier, String server, long startedAtMillis) {
        for (PgTierManagedConnection connection : live) {
            if (connection.tier() == tier && server.equals(connection.server()) && connection.openedAtMillis() < startedAtMillis) {
                connection.abortForTierDown();
            }
        }
    }

    /** When the oldest statement still executing on {@code tier} in this pool started; 0 when none is. */
    @Override
    public long oldestExecutionNanos(Tier tier) {
        long oldest = 0;
        for (PgTierManagedConnection connection : live) {
            if (connection.tier() == tier) {
                oldest = io.pgtier.ra.TierDownListener.older(oldest, connection.fitness().executingSince());
            }
        }
        return oldest;
    }

    String name() {
        return settings.poolName();
    }

    Purpose purpose() {
        return settings.purpose();
    }

    Settings settings() {
        return settings;
    }

    long maxLifetimeNanos() {
        return TimeUnit.SECONDS.toNanos(settings.maxLifetimeSeconds());
    }

    PoolStatus status() {
        return meters.status(live);
    }

    PoolMetrics metrics() {
        return meters.metrics(live);
    }

    PoolMeters meters() {
        return meters;
    }

    /**
     * Ends this pool's idle connections on {@code tier} now, on the operator's thread: the error
     * event Payara takes for a free connection too (its pool removes it). One a bean holds, or that
     * a container transaction still needs, is left to retire when returned.
     */
    @Override
    public void retireIdle(Tier tier) {
        for (PgTierManagedConnection connection : live) {
            if (connection.tier() == tier) {
                connection.retireIfIdle();
            }
        }
    }

    /**
     * Before a drain: another of this pool's tiers serves, its breaker not open, and its role not
     * known to be wrong for the purpose (unknown is fine: a tier not yet connected to is not out).
     */
    @Override
    public boolean servesWithout(Tier tier) {
        if (!tiers.contains(tier)) {
            return true;
        }
        for (Tier other : tiers) {
            if (other != tier && other.state().serves() && other.breaker().state() != io.pgtier.api.BreakerState.OPEN
                    && (other.role() == Role.UNKNOWN || settings.purpose().canUse(other.role()))) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String poolName() {
        return name();
    }

    @Override
    public List<Tier> poolTiers() {
        return tiers;
    }

    @Override
    public void sharedPreference(String pool, String tier, io.pgtier.grid.SharedAction action, boolean local) {
        if (name().equals(pool)) {
            operations.applyPreference(tier, action, local);
        }
    }

    PgTierResourceAdapter adapter() {
        return adapter;
    }

    /** This pool's tiers, in walk order. */
    List<Tier> tiers() {
        return tiers;
    }

    PoolOperations operations() {
        return operations;
    }

    /** A bean got a connection served by {@code tier} (the "acquisitions" metric). */
    void recordCheckout(Tier tier) {
        meters.of(tier).checkout();
    }

    void recordLeak(Tier tier) {
        operations.leakReclaimed(tier, meters.leakReclaimed());
    }

    boolean closesLeaksAtCompletion() {
        return settings.closeLeakedConnections();
    }

    boolean recordsAcquisitionSite() {
        return settings.recordAcquisitionSite();
    }

    /**
     * Opens a session on the first tier that can serve this pool's purpose.
     *
     * <p><b>Ride-through.</b> While no tier can serve, the caller walks again with a short backoff
     * (10 ms, doubling, at most 50 ms: a walk that finds every tier out opens no connection, so
     * polling is cheap, and a tier's return is used within 50 ms) until the outage is
     * {@code rideThroughMillis} old, so a brief fault passes unseen; the outage starts at the first
     * failed walk, so once the pool has been without a tier for longer, callers fail within 50 ms
     * (time for one trial of a tier that may be back), or within 500 ms while another caller's
     * trial is under way, until a tier returns ({@link RideThrough}). A full cap or a spent
     * attempt budget is not an outage: the caller waits up to the window from its own start. Waiting
     * cannot help when every tier refused this pool's configuration (a wrong password) or is
     * drained: that fails at once. With {@code rideThroughMillis = 0}, a walk that
     * failed with an error that may pass is retried within {@code connectRetryBudgetMillis}, as
     * before ride-through existed. The error reports, per tier, the server's own failure when a later
     * walk only saw the breaker it opened.
     */
    Acquired<PgPhysical> acquire(Credentials credentials) throws NoTierAvailableException {
        PgConnector signOn = credentials == null ? connector : connector.as(credentials.user(), credentials.password());
        long start = System.nanoTime();
        long backoffMillis = 10;
        Map<TierId, TierAttempt> lastFailures = new EnumMap<>(TierId.class);
        while (true) {
            try {
                Acquired<PgPhysical> acquired = walk.acquire(settings.purpose(), signOn, settings.poolName());
                rideThrough.served();
                meters.of(acquired.tier()).created(System.nanoTime() - start);
                operations.served(acquired.tier());
                return acquired;
            } catch (NoTierAvailableException e) {
                boolean mayPass = false;
                boolean busyOnly = false;
                boolean legacyRetry = false;
                for (TierAttempt attempt : e.attempts()) {
                    if (attempt.cause() != null) {
                        lastFailures.put(attempt.tier(), attempt);
                        legacyRetry |= attempt.outcome() != TierAttempt.Outcome.REJECTED && SqlStates.mayPass(attempt.cause());
                    }
                    mayPass |= attempt.mayPass();
                    busyOnly |= attempt.outcome() == TierAttempt.Outcome.CAP_FULL
                            || attempt.outcome() == TierAttempt.Outcome.THROTTLED;
                    reportRejectionOnce(attempt);
                }
                long now = System.nanoTime();
                long deadline = settings.rideThroughMillis() == 0
                        ? (legacyRetry ? start + TimeUnit.MILLISECONDS.toNanos(settings.connectRetryBudgetMillis()) : now)
                        : rideThrough.deadline(start, busyOnly, tiers.stream().anyMatch(Tier::trialUnderWay));
                if (!mayPass || now + TimeUnit.MILLISECONDS.toNanos(backoffMillis) - deadline > 0) {
                    throw report(e, lastFailures, TimeUnit.NANOSECONDS.toMillis(now - start));
                }
                try {
                    Thread.sleep(backoffMillis);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw report(e, lastFailures, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
                }
                backoffMillis = Math.min(backoffMillis * 2, 50);
            }
        }
    }

    /** A tier refused this pool's sign-on or configuration: said once per tier and cause, naming what to fix. */
    private void reportRejectionOnce(TierAttempt attempt) {
        if (attempt.outcome() == TierAttempt.Outcome.REJECTED
                && rejectionsReported.add(attempt.tier() + " " + attempt.cause().getSQLState())) {
            LOG.warning(Messages.rejected(name(), attempt.tier().label(), attempt.reason()));
        }
    }

    /** The last walk's outcome, with each tier's last server failure where the last walk saw less. */
    private NoTierAvailableException report(NoTierAvailableException last, Map<TierId, TierAttempt> failures,
            long elapsedMillis) {
        List<TierAttempt> attempts = new ArrayList<>();
        for (TierAttempt attempt : last.attempts()) {
            TierAttempt failure = failures.get(attempt.tier());
            if (attempt.outcome() != TierAttempt.Outcome.FAILED && failure != null) {
                attempts.add(new TierAttempt(attempt.tier(), TierAttempt.Outcome.FAILED,
                        failure.reason() + ", then " + attempt.reason(), failure.cause()));
            } else {
                attempts.add(attempt);
            }
        }
        return new NoTierAvailableException(settings.poolName(), settings.purpose(), elapsedMillis, attempts);
    }

    boolean isFatal(SQLException e) {
        return SqlStates.isFatal(e, settings.purpose());
    }

    /**
     * What a fatal error says about its tier: its other sessions may have died with this one (a
     * reset route), so each is validated once before its next use; 25006 on a READ_WRITE pool means
     * the server was demoted, so the tier stops serving writes at once and its other sessions retire
     * as they return.
     */
    void onFatal(Tier tier, SQLException e) {
        tier.markSessionsSuspect();
        if (SqlStates.READ_ONLY_TRANSACTION.equals(e.getSQLState())) {
            tier.recordRole(Role.STANDBY);
            tier.retireConnections();
        }
    }

    PoolTransactions transactions() {
        return transactions;
    }
}
