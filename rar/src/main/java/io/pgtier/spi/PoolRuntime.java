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
final class PoolRuntime {

    private final Settings settings;
    private final PgTierResourceAdapter adapter;
    private final List<Tier> tiers;
    private final TierWalk walk;
    private final PgConnector connector;
    private final Map<TierId, LongAdder> checkouts = new EnumMap<>(TierId.class);
    private final LongAdder leaksReclaimed = new LongAdder();

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
        return new PoolStatus(name(), purpose(), tierStatus, handedOut, leaksReclaimed.sum(), adapter.lastHealthCheck());
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

    /** The caller's JTA transaction key, or {@code null} outside a transaction (or a container). */
    Object transactionKey() {
        TransactionSynchronizationRegistry registry = adapter.transactions();
        return registry == null ? null : registry.getTransactionKey();
    }

    /** Runs {@code afterCompletion} when the caller's transaction ends (interposed: before the pool's own listener). */
    void afterCompletion(jakarta.transaction.Synchronization synchronization) {
        adapter.transactions().registerInterposedSynchronization(synchronization);
    }

    /** Opens a session on the first tier that can serve this pool's purpose. */
    Acquired<PgPhysical> acquire(Credentials credentials) throws NoTierAvailableException {
        PgConnector signOn = credentials == null ? connector : connector.as(credentials.user(), credentials.password());
        return walk.acquire(settings.purpose(), signOn, settings.poolName());
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
