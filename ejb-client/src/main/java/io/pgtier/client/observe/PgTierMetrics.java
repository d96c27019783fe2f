package io.pgtier.client.observe;

import io.pgtier.api.BreakerState;
import io.pgtier.api.PoolMetrics;
import io.pgtier.api.PoolStatus;
import io.pgtier.api.TierId;
import io.pgtier.api.TierState;
import io.pgtier.api.TierMetrics;
import io.pgtier.api.TierStatus;
import io.pgtier.api.TieredDataSource;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToLongFunction;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.eclipse.microprofile.metrics.Metadata;
import org.eclipse.microprofile.metrics.MetricRegistry;
import org.eclipse.microprofile.metrics.Tag;

/**
 * Publishes the adapter's counters as MicroProfile Metrics gauges in the application registry,
 * tagged {@code pool} (the pool's name) and {@code tier} (its label). CDI is not available inside a
 * RAR, so the adapter keeps the counters and this bean exposes them.
 *
 * <p>Every gauge reads {@link TieredDataSource#status()} when it is scraped, so nothing here caches
 * or drifts. Gauges are registered once, at application start, for the tiers configured then
 * (the adapter's tiers are fixed for its lifetime). The suppliers hold the data source strongly:
 * some registries keep only a weak reference to a gauge's object, which would silently turn the
 * metric into NaN after a garbage collection. Tag values are a pool name, a tier label and, for a
 * tier's own metrics, its {@code user@host:port/db} (never its URL's parameters), so no password
 * can end up in a metric.
 *
 * <p><b>Connection pool metrics</b> follow OpenTelemetry's semantic conventions for database client
 * connection pools where one exists ({@code db.client.connection.*}), tagged {@code pool} and
 * {@code tier} rather than {@code db.client.connection.pool.name} (MicroProfile allows no dots in
 * tag names). A duration is published as the pair a histogram exports to Prometheus,
 * {@code <name>_seconds_sum} and {@code <name>_seconds_count}, without buckets: the adapter keeps
 * sums, which cost two additions on the hot path. What describes a tier itself (failbacks, its
 * breaker, probe latency, lag) is published once per tier, tagged {@code tier} and {@code server}
 * ({@code user@host:port/db}), not per pool, so a tier shared by two pools is not counted twice.
 */
@ApplicationScoped
public class PgTierMetrics {

    private static final Logger LOG = Logger.getLogger(PgTierMetrics.class.getName());

    @Inject
    MetricRegistry registry;

    @Inject
    TieredPools pools;

    /** The tiers already published ({@code label server}): a tier shared by pools is published once. */
    private final Set<String> tiersPublished = ConcurrentHashMap.newKeySet();

    void start(@Observes @Initialized(ApplicationScoped.class) Object init) {
        for (String resource : pools.resources()) {
            try {
                register(pools.tiered(resource));
            } catch (Exception e) {
                LOG.log(Level.WARNING, "pgtier metrics: no gauges for " + resource + ": " + e, e);
            }
        }
    }

    private void register(TieredDataSource source) {
        PoolStatus status = source.status();
        String pool = status.pool();
        registry.gauge(meta("pgtier_leaks_reclaimed",
                        "Connection handles left open by a bean that the adapter closed at transaction end"),
                () -> source.status().leaksReclaimed(), new Tag("pool", pool));
        for (TierStatus tier : status.tiers()) {
            TierId id = tier.id();
            registry.gauge(meta("pgtier_checkouts", "Connections handed to beans by the pool, per tier, since start"),
                    () -> source.status().checkouts().getOrDefault(id, 0L), tags(pool, id));
            tierGauge(source, pool, id, "pgtier_physical_created",
                    "Physical connections created on the tier since start", TierStatus::acquired);
            tierGauge(source, pool, id, "pgtier_connect_failures",
                    "Failed connection attempts on the tier since start", TierStatus::failures);
            tierGauge(source, pool, id, "pgtier_connections_open",
                    "Physical connections open on the tier now (shared by every pool of the adapter)",
                    TierStatus::openConnections);
            tierGauge(source, pool, id, "pgtier_breaker_open", "1 while the tier's circuit breaker is OPEN",
                    t -> t.breaker() == BreakerState.OPEN ? 1 : 0);
            tierGauge(source, pool, id, "pgtier_tier_up", "1 while the tier is UP (not DOWN or DRAINED)",
                    t -> t.state().serves() ? 1 : 0);
            tierGauge(source, pool, id, "pgtier_xa_in_doubt",
                    "XA branches prepared on the tier and not yet resolved, as the last probe saw them", TierStatus::inDoubt);
            tierGauge(source, pool, id, "pgtier_xa_in_doubt_oldest_seconds",
                    "Age of the oldest XA branch in doubt on the tier, in seconds (0 when none)",
                    t -> t.oldestInDoubtAt() == null ? 0
                            : java.time.Duration.between(t.oldestInDoubtAt(), java.time.Instant.now()).toSeconds());
        }
        registerPoolMetrics(source, pool);
    }

    /** The OpenTelemetry-named pool metrics, and pgtier's own per pool and tier, and per tier. */
    private void registerPoolMetrics(TieredDataSource source, String pool) {
        Recent recent = new Recent(source);
        Tag poolTag = new Tag("pool", pool);
        registry.gauge(meta("db.client.connection.pending_requests", "Callers waiting in getConnection now"),
                () -> recent.get().pending(), poolTag);
        registry.gauge(meta("db.client.connection.timeouts", "getConnection calls the container failed without a"
                + " pgtier error (its pool full for max-wait-time), since start"), () -> recent.get().timeouts(), poolTag);
        registry.gauge(meta("pgtier.connection.failures", "getConnection calls that failed because no tier could "
                + "serve, since start"), () -> recent.get().failedWaits(), poolTag);
        duration(recent, "db.client.connection.wait_time", "Time callers waited in getConnection for a connection",
                PoolMetrics::waitNanos, PoolMetrics::waits, poolTag);
        for (TierMetrics tier : recent.get().tiers()) {
            TierId id = tier.id();
            Tag[] tags = tags(pool, id);
            registry.gauge(meta("db.client.connection.count", "This pool's connections on the tier, by state"),
                    () -> recent.tier(id, TierMetrics::used), new Tag("pool", pool), new Tag("tier", id.label()),
                    new Tag("state", "used"));
            registry.gauge(meta("db.client.connection.count", "This pool's connections on the tier, by state"),
                    () -> recent.tier(id, TierMetrics::idle), new Tag("pool", pool), new Tag("tier", id.label()),
                    new Tag("state", "idle"));
            duration(recent, "db.client.connection.create_time", "Time opening a session on the tier took",
                    m -> Recent.tier(m, id, TierMetrics::createNanos), m -> Recent.tier(m, id, TierMetrics::created), tags);
            duration(recent, "pgtier.statement.time", "Time this pool's sessions on the tier spent executing statements",
                    m -> Recent.tier(m, id, TierMetrics::statementNanos), m -> Recent.tier(m, id, TierMetrics::statements), tags);
            registry.gauge(meta("pgtier.sessions.aborted_total", "This pool's sessions on the tier whose socket pgtier "
                    + "closed (a down verdict, a stalled statement), since start"), () -> recent.tier(id, TierMetrics::aborted), tags);
            registry.gauge(meta("pgtier.failovers_total", "Times this pool's new work moved to the tier because the one "
                    + "above stopped serving (PGT-305), since start"), () -> recent.tier(id, TierMetrics::failovers), tags);
            if (tiersPublished.add(id.label() + " " + tier.server())) {
                registerTier(recent, id, tier.server());
            }
        }
    }

    /** What belongs to the tier, not to a pool: once per tier, tagged with its server. */
    private void registerTier(Recent recent, TierId id, String server) {
        Tag tier = new Tag("tier", id.label());
        Tag at = new Tag("server", server);
        registry.gauge(meta("pgtier.failbacks_total", "Times the tier got the work back after its failback time (PGT-304)"),
                () -> recent.tier(id, TierMetrics::failbacks), tier, at);
        for (BreakerState state : BreakerState.values()) {
            registry.gauge(meta("pgtier.breaker.transitions_total", "The tier's breaker transitions, by the state entered"),
                    () -> recent.tier(id, t -> t.breakerTransitions().getOrDefault(state, 0L)), tier, at,
                    new Tag("to", state.name()));
        }
        registry.gauge(meta("pgtier.probe.duration_seconds", "How long the monitor's last good probe of the tier took"
                + " (-1 before the first)"), () -> seconds(recent.tier(id, TierMetrics::probeMicros) * 1000), tier, at);
        registry.gauge(meta("pgtier.replication.lag_bytes", "The tier's replication lag as a standby (0 on a primary,"
                + " -1 before the first probe)"), () -> recent.tier(id, TierMetrics::lagBytes), tier, at);
    }

    private void duration(Recent recent, String name, String description, ToLongFunction<PoolMetrics> nanos,
                          ToLongFunction<PoolMetrics> count, Tag... tags) {
        registry.gauge(meta(name + "_seconds_sum", description + ", in total, since start"),
                () -> seconds(nanos.applyAsLong(recent.get())), tags);
        registry.gauge(meta(name + "_seconds_count", description + ": how many, since start"),
                () -> count.applyAsLong(recent.get()), tags);
    }

    /**
     * One pool's {@link PoolMetrics}, taken at most every 100 ms: the forty-odd gauges of a scrape
     * read one snapshot (a sum and its count agree), not one each.
     */
    private static final class Recent {

        private static final long FRESH_NANOS = 100_000_000L;

        private record Taken(long atNanos, PoolMetrics metrics) {
        }

        private final TieredDataSource source;
        private volatile Taken taken;

        Recent(TieredDataSource source) {
            this.source = source;
        }

        PoolMetrics get() {
            long now = System.nanoTime();
            Taken t = taken;
            if (t == null || now - t.atNanos() > FRESH_NANOS) {
                t = new Taken(now, source.metrics());
                taken = t;
            }
            return t.metrics();
        }

        long tier(TierId id, ToLongFunction<TierMetrics> read) {
            return tier(get(), id, read);
        }

        /** A tier missing from a snapshot reads 0 rather than failing the whole scrape. */
        static long tier(PoolMetrics metrics, TierId id, ToLongFunction<TierMetrics> read) {
            for (TierMetrics t : metrics.tiers()) {
                if (t.id() == id) {
                    return read.applyAsLong(t);
                }
            }
            return 0;
        }
    }

    /** Nanoseconds as seconds; a negative reading (not yet measured) stays -1. */
    private static double seconds(long nanos) {
        return nanos < 0 ? -1 : nanos / 1e9;
    }

    private void tierGauge(TieredDataSource source, String pool, TierId id, String name, String description,
                           ToLongFunction<TierStatus> read) {
        // A tier missing from a later snapshot reads 0 rather than failing the whole scrape.
        registry.gauge(meta(name, description), () -> source.status().tiers().stream()
                .filter(t -> t.id() == id).mapToLong(read).findFirst().orElse(0L), tags(pool, id));
    }

    private static Metadata meta(String name, String description) {
        return Metadata.builder().withName(name).withDescription(description).build();
    }

    private static Tag[] tags(String pool, TierId tier) {
        return new Tag[] {new Tag("pool", pool), new Tag("tier", tier.label())};
    }
}
