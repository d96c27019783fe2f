package io.pgtier.client.observe;

import io.pgtier.api.PoolStatus;
import io.pgtier.api.Role;
import io.pgtier.api.TierStatus;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready while every pgtier pool can serve its purpose through some tier (up, breaker not open, a
 * role it may use). A pool with one tier down is still ready: failing over is the adapter's job,
 * and taking the instance out of the load balancer for it would turn a degraded tier into an
 * outage. The data names each pool and each tier, for the operator reading the response:
 * {@code "pgtier" -> "READ_WRITE canServe=true"},
 * {@code "pgtier.primary" -> "UP WRITABLE breaker=CLOSED open=2/10"}.
 *
 * <p>Only what {@code PoolStatus} exposes is shown; it carries no credential, so neither can this.
 */
@Readiness
@ApplicationScoped
public class PgTierReadiness implements HealthCheck {

    @Inject
    TieredPools pools;

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder response = HealthCheckResponse.named("pgtier").up();
        for (String resource : pools.resources()) {
            try {
                PoolStatus pool = pools.tiered(resource).status();
                response.withData(pool.pool(), pool.purpose() + " canServe=" + pool.canServe());
                pool.tiers().forEach(t -> response.withData(pool.pool() + "." + t.id().label(), describe(t)));
                if (!pool.canServe()) {
                    response.down();
                }
            } catch (Exception e) {
                response.down().withData(resource, "unavailable: " + e);
            }
        }
        return response.build();
    }

    /** One tier in one line, e.g. {@code "UP WRITABLE breaker=CLOSED open=2/10"}. */
    static String describe(TierStatus t) {
        String line = t.state() + " " + t.role() + " breaker=" + t.breaker()
                + " open=" + t.openConnections() + "/" + t.maxConnections();
        if (t.role() == Role.STANDBY && t.lagBytes() >= 0) {
            line += " lag=" + t.lagBytes() + "B";
        }
        if (t.breakerRetryAt() != null) {
            line += " retryAt=" + t.breakerRetryAt();
        }
        if (t.probationEndsAt() != null) {
            line += " probationEndsAt=" + t.probationEndsAt();
        }
        if (t.inDoubt() > 0) {
            line += " inDoubt=" + t.inDoubt() + " oldestInDoubtAt=" + t.oldestInDoubtAt();
        }
        return line;
    }
}
