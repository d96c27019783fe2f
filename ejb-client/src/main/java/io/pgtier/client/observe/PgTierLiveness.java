package io.pgtier.client.observe;

import io.pgtier.api.PoolStatus;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Liveness;

/**
 * Live unless the adapter's health monitor is stuck. A dead database is not a reason to restart
 * this JVM (a restart cannot fix it, and readiness already reports it); a monitor that stopped
 * running rounds is, because without it no tier is ever marked down or failed back.
 *
 * <p>Everything else is UP: before the monitor's first round ({@code lastHealthCheck} null) and when
 * a resource cannot be reached through the API, which is a deployment problem readiness shows.
 */
@Liveness
@ApplicationScoped
public class PgTierLiveness implements HealthCheck {

    /**
     * How old the monitor's last round may be. Twice the default {@code healthCheckIntervalSeconds}
     * (30 s), so one slow round (a probe waiting out its timeouts) does not flap liveness; an
     * adapter configured with a longer interval needs this raised.
     */
    static final Duration MAX_MONITOR_SILENCE = Duration.ofSeconds(60);

    @Inject
    TieredPools pools;

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder response = HealthCheckResponse.named("pgtier-monitor").up();
        Instant now = Instant.now();
        for (String resource : pools.resources()) {
            try {
                PoolStatus pool = pools.tiered(resource).status();
                Instant last = pool.lastHealthCheck();
                response.withData(pool.pool() + ".lastHealthCheck", String.valueOf(last));
                if (last != null && Duration.between(last, now).compareTo(MAX_MONITOR_SILENCE) > 0) {
                    response.down().withData(pool.pool() + ".stuck",
                            "no monitor round for more than " + MAX_MONITOR_SILENCE.toSeconds() + " s");
                }
            } catch (Exception e) {
                response.withData(resource, "not checked: " + e);
            }
        }
        return response.build();
    }
}
