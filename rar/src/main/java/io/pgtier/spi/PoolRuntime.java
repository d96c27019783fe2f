package io.pgtier.spi;

import io.pgtier.api.PoolStatus;
import io.pgtier.api.Purpose;
import io.pgtier.api.Role;
import io.pgtier.api.TierId;
import io.pgtier.api.TierStatus;
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
import jakarta.transaction.Status;
import jakarta.transaction.TransactionSynchronizationRegistry;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * One pool's working parts, built once from validated {@link Settings}: its tiers (shared with the
 * adapter's other pools), the walk that picks one, the connector that opens sessions, and the
 * judgement of errors. The factory holds one; its managed connections point at it.
 */
final class PoolRuntime implements io.pgtier.ra.TierDownListener {

    private final Settings settings;
    private final PgTierResourceAdapter adapter;
    private final List<Tier> tiers;
    private final TierWalk walk;
    private final PgConnector connector;
    private final Map<TierId, LongAdder> checkouts = new EnumMap<>(TierId.class);
    private final LongAdder leaksReclaimed = new LongAdder();
    private final java.util.Set<PgTierManagedConnection> live = java.util.concurrent.ConcurrentHashMap.newKeySet();

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
        this.walk = new TierWalk(new TierSelector(tiers), System::nanoTime);
        this.connector = PgConnector.forEndpoints(settings.endpoints(), settings.options());
        for (TierId id : settings.endpoints().keySet()) {
            checkouts.put(id, new LongAdder());
        }
        adapter.onTierDown(this);
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
     * The monitor declared {@code tier} down: close the socket of every session on it. A bean
     * blocked on a hung server gets an I/O error now, on its own thread, which ends that
     * connection there; idle ones are reported invalid when the container next looks.
     */
    @Override
    public void tierDown(Tier tier) {
        for (PgTierManagedConnection connection : live) {
            if (connection.tier() == tier) {
                connection.abortForTierDown();
            }
        }
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
                oldest = io.pgtier.ra.TierDownListener.older(oldest, connection.executingSince());
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
        List<TierStatus> tierStatus = tiers.stream().map(Tier::status).toList();
        Map<TierId, Long> handedOut = new EnumMap<>(TierId.class);
        checkouts.forEach((id, count) -> handedOut.put(id, count.sum()));
        return new PoolStatus(name(), purpose(), tierStatus, handedOut, leaksReclaimed.sum(), adapter.lastHealthCheck(),
                adapter.monitorCpuMicros());
    }

    /** A bean got a connection served by {@code tier} (the "acquisitions" metric). */
    void recordCheckout(Tier tier) {
        checkouts.get(tier.id()).increment();
    }

    void recordLeak() {
        leaksReclaimed.increment();
    }

    boolean closesLeaksAtCompletion() {
        return settings.closeLeakedConnections();
    }

    boolean recordsAcquisitionSite() {
        return settings.recordAcquisitionSite();
    }

    /** The caller's JTA transaction key, or {@code null} outside a transaction (or a container). */
    Object transactionKey() {
        TransactionSynchronizationRegistry registry = adapter.transactions();
        return registry == null ? null : registry.getTransactionKey();
    }

    /** Runs {@code afterCompletion} when the caller's transaction ends (interposed: before the pool's own listener). */
    void afterCompletion(jakarta.transaction.Synchronization synchronization) {
        adapter.transactions().registerInterposedSynchronization(synchronization);
    }

    /**
     * Opens a session on the first tier that can serve this pool's purpose. When a walk fails and
     * some tier failed with an error that may pass (a refused or reset connection, "too many
     * connections", "starting up"), it is tried again with exponential backoff (50 ms, doubling, at
     * most 400 ms) within {@code connectRetryBudgetMillis}. A wrong password is not retried, and
     * when every tier is down or its breaker open it fails at once. The error reports, per tier, the
     * server's own failure when a later walk only saw the breaker it opened.
     */
    Acquired<PgPhysical> acquire(Credentials credentials) throws NoTierAvailableException {
        PgConnector signOn = credentials == null ? connector : connector.as(credentials.user(), credentials.password());
        long start = System.nanoTime();
        long deadline = start + TimeUnit.MILLISECONDS.toNanos(settings.connectRetryBudgetMillis());
        long backoffMillis = 50;
        Map<TierId, TierAttempt> lastFailures = new EnumMap<>(TierId.class);
        while (true) {
            try {
                return walk.acquire(settings.purpose(), signOn, settings.poolName());
            } catch (NoTierAvailableException e) {
                boolean worthRetrying = false;
                for (TierAttempt attempt : e.attempts()) {
                    if (attempt.outcome() == TierAttempt.Outcome.FAILED) {
                        lastFailures.put(attempt.tier(), attempt);
                        worthRetrying |= SqlStates.mayPass(attempt.cause());
                    }
                }
                long now = System.nanoTime();
                if (!worthRetrying || now + TimeUnit.MILLISECONDS.toNanos(backoffMillis) > deadline) {
                    throw report(e, lastFailures, TimeUnit.NANOSECONDS.toMillis(now - start));
                }
                try {
                    Thread.sleep(backoffMillis);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw report(e, lastFailures, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
                }
                backoffMillis = Math.min(backoffMillis * 2, 400);
            }
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
     * What a fatal error says about its tier: 25006 on a READ_WRITE pool means the server was
     * demoted, so the tier stops serving writes at once and its other sessions retire as they return.
     */
    void onFatal(Tier tier, SQLException e) {
        if (SqlStates.READ_ONLY_TRANSACTION.equals(e.getSQLState())) {
            tier.recordRole(Role.STANDBY);
            tier.retireConnections();
        }
    }

    /** Marks the caller's JTA transaction rollback-only, if there is one that can still be marked. */
    void markRollbackOnly() {
        TransactionSynchronizationRegistry registry = adapter.transactions();
        if (registry == null) {
            return;
        }
        try {
            int status = registry.getTransactionStatus();
            if (status == Status.STATUS_ACTIVE || status == Status.STATUS_PREPARING) {
                registry.setRollbackOnly();
            }
        } catch (RuntimeException e) {
            // No transaction on this thread after all: nothing to mark.
        }
    }

    /** Whether the calling thread is inside a JTA transaction. */
    boolean transactionActive() {
        TransactionSynchronizationRegistry registry = adapter.transactions();
        return registry != null && registry.getTransactionKey() != null;
    }
}
