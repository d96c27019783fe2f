package io.pgtier.spi;

import io.pgtier.api.PoolMetrics;
import io.pgtier.api.PoolStatus;
import io.pgtier.api.TierId;
import io.pgtier.api.TierMetrics;
import io.pgtier.api.TierStatus;
import io.pgtier.tier.Tier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * One pool's counters, and its two snapshots built from them: {@link PoolStatus} and
 * {@link PoolMetrics}. Every counter is a {@link LongAdder} bumped on the thread that did the work
 * (a statement's end costs one clock read and one or two adds);
 * nothing is summed until a snapshot is asked for.
 */
final class PoolMeters {

    private final PoolRuntime pool;
    private final Map<TierId, TierMeter> tiers = new EnumMap<>(TierId.class);
    private final LongAdder leaksReclaimed = new LongAdder();
    private final LongAdder waits = new LongAdder();
    private final LongAdder waitNanos = new LongAdder();
    private final LongAdder timeouts = new LongAdder();
    private final LongAdder failedWaits = new LongAdder();
    private final LongAdder pending = new LongAdder();

    PoolMeters(PoolRuntime pool, Collection<TierId> ids) {
        this.pool = pool;
        for (TierId id : ids) {
            tiers.put(id, new TierMeter());
        }
    }

    /** This pool's counters of one tier. */
    TierMeter of(Tier tier) {
        return tiers.get(tier.id());
    }

    /** A caller starts waiting in {@code getConnection}; the answer is its start, for {@link #waited}. */
    long waiting() {
        pending.increment();
        return System.nanoTime();
    }

    /**
     * The caller that started waiting at {@code start} got its connection ({@code outcome} 0), failed
     * with pgtier's error (1), or failed with only the container's (2: its pool timed out).
     */
    void waited(long start, int outcome) {
        pending.decrement();
        switch (outcome) {
            case 0 -> {
                waits.increment();
                waitNanos.add(System.nanoTime() - start);
            }
            case 1 -> failedWaits.increment();
            default -> timeouts.increment();
        }
    }

    long leakReclaimed() {
        leaksReclaimed.increment();
        return leaksReclaimed.sum();
    }

    PoolStatus status(Collection<PgTierManagedConnection> live) {
        List<TierStatus> tierStatus = pool.tiers().stream().map(Tier::status).toList();
        Map<TierId, Long> handedOut = new EnumMap<>(TierId.class);
        tiers.forEach((id, meter) -> handedOut.put(id, meter.checkouts.sum()));
        Map<TierId, Integer> sessions = new EnumMap<>(TierId.class);
        pool.tiers().forEach(t -> sessions.put(t.id(), 0));
        for (PgTierManagedConnection connection : live) {
            sessions.merge(connection.tier().id(), 1, Integer::sum);
        }
        return new PoolStatus(pool.name(), pool.purpose(), tierStatus, handedOut, leaksReclaimed.sum(),
                pool.adapter().lastHealthCheck(), pool.adapter().monitorCpuMicros(), pool.operations().preferredId(),
                sessions, pool.operations().recent());
    }

    PoolMetrics metrics(Collection<PgTierManagedConnection> live) {
        Map<Tier, int[]> usedIdle = new java.util.HashMap<>();
        for (PgTierManagedConnection connection : live) {
            usedIdle.computeIfAbsent(connection.tier(), t -> new int[2])[connection.inUse() ? 0 : 1]++;
        }
        List<TierMetrics> perTier = new ArrayList<>();
        for (Tier tier : pool.tiers()) {
            TierMeter m = of(tier);
            TierStatus s = tier.status();
            int[] counts = usedIdle.getOrDefault(tier, new int[2]);
            perTier.add(new TierMetrics(tier.id(), server(tier.endpoint().user(), s.endpoint()), counts[0], counts[1], m.created.sum(),
                    m.createNanos.sum(), m.statements.sum(), m.statementNanos.sum(), m.aborted.sum(), m.failovers.sum(),
                    tier.counters().failbacks(), tier.counters().breakerTransitions(), s.probeMicros(), s.lagBytes()));
        }
        return new PoolMetrics(pool.name(), waits.sum(), waitNanos.sum(), timeouts.sum(), failedWaits.sum(), pending.intValue(),
                perTier);
    }

    /**
     * {@code user@host:port/db} of a (masked) JDBC URL: no parameters, so nothing a credential could
     * hide in. The user is there because the adapter keeps one tier per URL and user: two pools
     * that sign on differently to one server have a tier each.
     */
    static String server(String user, String url) {
        String rest = url.startsWith("jdbc:postgresql://") ? url.substring("jdbc:postgresql://".length()) : url;
        int query = rest.indexOf('?');
        return (user == null || user.isEmpty() ? "" : user + "@") + (query < 0 ? rest : rest.substring(0, query));
    }

    /** One pool's counters of one tier. */
    static final class TierMeter {

        private final LongAdder checkouts = new LongAdder();
        private final LongAdder created = new LongAdder();
        private final LongAdder createNanos = new LongAdder();
        private final LongAdder statements = new LongAdder();
        private final LongAdder statementNanos = new LongAdder();
        private final LongAdder aborted = new LongAdder();
        private final LongAdder failovers = new LongAdder();

        void checkout() {
            checkouts.increment();
        }

        void created(long nanos) {
            created.increment();
            createNanos.add(nanos);
        }

        /** A statement ended; {@code busyNanos} is the session's time executing, when none is left running, else 0. */
        void executed(long busyNanos) {
            statements.increment();
            if (busyNanos > 0) {
                statementNanos.add(busyNanos);
            }
        }

        void aborted() {
            aborted.increment();
        }

        void failover() {
            failovers.increment();
        }
    }
}
