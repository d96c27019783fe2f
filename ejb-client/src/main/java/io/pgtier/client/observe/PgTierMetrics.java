package io.pgtier.client.observe;

import io.pgtier.api.BreakerState;
import io.pgtier.api.PoolStatus;
import io.pgtier.api.TierId;
import io.pgtier.api.TierState;
import io.pgtier.api.TierStatus;
import io.pgtier.api.TieredDataSource;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
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
 * metric into NaN after a garbage collection. Tag values are a pool name and a tier label, never
 * an endpoint, so no credential can end up in a metric.
 */
@ApplicationScoped
public class PgTierMetrics {

    private static final Logger LOG = Logger.getLogger(PgTierMetrics.class.getName());

    @Inject
    MetricRegistry registry;

    @Inject
    TieredPools pools;

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
