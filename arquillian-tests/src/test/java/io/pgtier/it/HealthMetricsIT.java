package io.pgtier.it;

import static io.pgtier.it.MicroApp.get;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgtier.harness.PgHarness;
import io.pgtier.harness.PgServer;
import java.net.URL;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * MicroProfile Health and Metrics in Payara Micro reflect the adapter's real tiers, as faults
 * happen: three writable servers (one per tier, as for three routes), the monitor probing every
 * second. The tests run in order, each breaking a little more.
 */
@ExtendWith(ArquillianExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HealthMetricsIT {

    private static PgHarness harness;
    private static PgServer primary;
    private static PgServer backup;
    private static PgServer failover;

    @ArquillianResource
    private URL app;

    @Deployment(testable = false)
    static WebArchive deployment() {
        harness = PgHarness.create();
        primary = harness.startPrimary("primary");
        backup = harness.startPrimary("backup");
        failover = harness.startPrimary("failover");
        for (PgServer s : List.of(backup, failover)) {
            s.execute("CREATE TABLE notes(id bigserial PRIMARY KEY, text text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())");
        }
        MicroApp.writePostBoot(primary.jdbcUrl(), backup.jdbcUrl(), failover.jdbcUrl(), "breakerWaitInOpenStateSeconds=2",
                MicroApp.FAST_MONITOR,
                List.of());
        return MicroApp.war();
    }

    @AfterAll
    static void stopServers() {
        if (harness != null) {
            harness.close();
        }
    }

    @Test
    @Order(1)
    @DisplayName("/health/ready is UP and names each pool's tiers and their state")
    void readyWhenUp() {
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            HttpResponse<String> ready = get(app, "/health/ready");
            assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
            assertThat(ready.body()).contains("pgtier-rw.primary", "pgtier-rw.backup", "pgtier-rw.failover", "UP WRITABLE");
        });
        assertThat(get(app, "/health/live").statusCode()).isEqualTo(200);
    }

    @Test
    @Order(2)
    @DisplayName("after the primary crashes, acquisitions on the backup tier rise and those on the primary stop")
    void acquisitionsMoveToBackup() {
        for (int i = 0; i < 5; i++) {
            assertThat(get(app, "api/examples/server").body()).contains(primary.port() + " primary");
        }
        double primaryBefore = checkouts("primary");
        double backupBefore = checkouts("backup");
        assertThat(primaryBefore).isGreaterThanOrEqualTo(5);

        primary.crash();
        await().atMost(Duration.ofSeconds(20)).until(() -> get(app, "api/status").body()
                .matches("(?s).*\"pool\":\"pgtier-rw\".*?\"id\":\"primary\"[^}]*\"state\":\"DOWN\".*"));
        for (int i = 0; i < 5; i++) {
            HttpResponse<String> r = get(app, "api/examples/server");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(r.body()).contains(backup.port() + " primary");
        }

        assertThat(checkouts("backup") - backupBefore).isGreaterThanOrEqualTo(5);
        assertThat(checkouts("primary")).as("no more acquisitions on the crashed primary").isEqualTo(primaryBefore);
    }

    @Test
    @Order(3)
    @DisplayName("every tier down: /health/ready answers 503 naming each tier, calls fail fast; one tier back: 200 again, no restart")
    void readinessFollowsTiers() {
        backup.crash();
        failover.crash();

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            HttpResponse<String> ready = get(app, "/health/ready");
            assertThat(ready.statusCode()).isEqualTo(503);
            assertThat(ready.body()).contains("pgtier-rw.primary", "pgtier-rw.backup", "pgtier-rw.failover", "DOWN");
        });
        long start = System.nanoTime();
        HttpResponse<String> refused = get(app, "api/examples/server");
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(refused.statusCode()).isEqualTo(503);
        // Every tier is down, so one caller tries each (a trial): the error names what each server said.
        assertThat(refused.body()).contains("pgtier[pgtier-rw]", "primary: 08001", "backup: 08001", "failover: 08001");
        System.out.printf("[figures] every tier down: a call failed in %d ms%n", took.toMillis());
        assertThat(metric("pgtier_connection_failures", "")).as("calls no tier could serve, counted").isPositive();
        assertThat(metric("pgtier_connect_failures", "backup")).as("failed connects to the crashed backup, counted").isPositive();

        failover.start();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(get(app, "/health/ready").statusCode()).isEqualTo(200));
        HttpResponse<String> served = get(app, "api/examples/server");
        assertThat(served.statusCode()).as(served.body()).isEqualTo(200);
        assertThat(served.body()).contains(failover.port() + " primary");
    }

    /** A gauge of the READ_WRITE pool, from /metrics: for {@code tier}, or without a tier tag when it is "". */
    private double metric(String name, String tier) {
        HttpResponse<String> metrics = get(app, "/metrics?scope=application");
        for (String line : metrics.body().lines().toList()) {
            if (line.startsWith(name + "{") && line.contains("pool=\"pgtier-rw\"")
                    && (tier.isEmpty() ? !line.contains("tier=") : line.contains("tier=\"" + tier + "\""))) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        throw new AssertionError("no " + name + " for pgtier-rw in:\n" + metrics.body());
    }

    /** The gauge pgtier_checkouts of the READ_WRITE pool for one tier, from /metrics. */
    private double checkouts(String tier) {
        HttpResponse<String> metrics = get(app, "/metrics?scope=application");
        assertThat(metrics.statusCode()).isEqualTo(200);
        for (String line : metrics.body().lines().toList()) {
            if (line.startsWith("pgtier_checkouts{") && line.contains("pool=\"pgtier-rw\"") && line.contains("tier=\"" + tier + "\"")) {
                Matcher m = Pattern.compile("\\}\\s+([0-9.Ee+-]+)").matcher(line);
                assertThat(m.find()).as(line).isTrue();
                return Double.parseDouble(m.group(1));
            }
        }
        throw new AssertionError("no pgtier_checkouts for pgtier-rw/" + tier + " in:\n" + metrics.body());
    }
}
