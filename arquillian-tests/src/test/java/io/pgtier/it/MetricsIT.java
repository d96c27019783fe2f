package io.pgtier.it;

import static io.pgtier.it.MicroApp.get;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgtier.harness.FaultProxy;
import io.pgtier.harness.PgHarness;
import io.pgtier.harness.PgServer;
import io.pgtier.harness.Replication;
import io.pgtier.support.HoldEndpoint;
import java.net.URL;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
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
 * Every metric the application publishes in {@code /metrics?scope=application} moves when what it
 * counts happens, in Payara Micro on real tiers: the primary and backup tiers are two routes to one
 * server (so one can hang while the other serves writes), the failover tier a streaming standby.
 * The READ_WRITE pool holds at most 3 connections and waits 1.5 s for one, so a test can fill it.
 */
@ExtendWith(ArquillianExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MetricsIT {

    private static final String RW = "pgtier-rw";

    private static PgHarness harness;
    private static FaultProxy primaryRoute;

    @ArquillianResource
    private URL app;

    @Deployment(testable = false)
    static WebArchive deployment() {
        harness = PgHarness.create();
        PgServer server = harness.startPrimary("metrics");
        PgServer standby = harness.startStandby("metrics-standby", server, Replication.ASYNC);
        primaryRoute = harness.proxy("metrics-primary-route", server);
        FaultProxy backupRoute = harness.proxy("metrics-backup-route", server);
        MicroApp.writePostBoot(primaryRoute.jdbcUrl(), backupRoute.jdbcUrl(), standby.jdbcUrl(), MicroApp.FAST_POOLS,
                MicroApp.FAST_MONITOR, List.of(
                        "set resources.connector-connection-pool.pgtier-rw.max-pool-size=3",
                        "set resources.connector-connection-pool.pgtier-rw.steady-pool-size=0",
                        "set resources.connector-connection-pool.pgtier-rw.max-wait-time-in-millis=1500"));
        return MicroApp.war().addClass(HoldEndpoint.class);
    }

    @AfterAll
    static void stopServers() {
        if (harness != null) {
            harness.close();
        }
    }

    @Test
    @Order(1)
    @DisplayName("work moves the wait, create, statement and connection-count metrics; probes and the standby's lag are measured")
    void workIsMeasured() {
        await().atMost(Duration.ofSeconds(30)).until(() -> get(app, "/health/ready").statusCode() == 200);
        Metrics before = scrape();

        work(10);
        HttpResponse<String> leak = MicroApp.post(app, "api/examples/notes/leak?text=metrics-leak");
        assertThat(leak.statusCode()).as(leak.body()).isEqualTo(200);

        Metrics after = scrape();
        assertThat(after.get("db_client_connection_wait_time_seconds_count", "pool", RW)
                - before.get("db_client_connection_wait_time_seconds_count", "pool", RW)).isGreaterThanOrEqualTo(10);
        assertThat(after.get("db_client_connection_wait_time_seconds_sum", "pool", RW))
                .isGreaterThan(before.get("db_client_connection_wait_time_seconds_sum", "pool", RW));
        assertThat(after.get("db_client_connection_create_time_seconds_count", "pool", RW, "tier", "primary")).isGreaterThanOrEqualTo(1);
        assertThat(after.get("db_client_connection_create_time_seconds_sum", "pool", RW, "tier", "primary")).isPositive();
        assertThat(after.get("pgtier_statement_time_seconds_count", "pool", RW, "tier", "primary")
                - before.get("pgtier_statement_time_seconds_count", "pool", RW, "tier", "primary")).isGreaterThanOrEqualTo(10);
        assertThat(after.get("pgtier_statement_time_seconds_sum", "pool", RW, "tier", "primary"))
                .isGreaterThan(before.get("pgtier_statement_time_seconds_sum", "pool", RW, "tier", "primary"));
        assertThat(after.get("db_client_connection_count", "pool", RW, "tier", "primary", "state", "idle")).isGreaterThanOrEqualTo(1);
        assertThat(after.get("db_client_connection_count", "pool", RW, "tier", "primary", "state", "used")).isZero();
        assertThat(after.get("pgtier_probe_duration_seconds", "tier", "primary")).isPositive();
        // The earlier gauges, kept with their names.
        assertThat(after.get("pgtier_checkouts", "pool", RW, "tier", "primary")
                - before.get("pgtier_checkouts", "pool", RW, "tier", "primary")).isGreaterThanOrEqualTo(10);
        assertThat(after.get("pgtier_physical_created", "pool", RW, "tier", "primary")).isGreaterThanOrEqualTo(1);
        assertThat(after.get("pgtier_connections_open", "pool", RW, "tier", "primary")).isGreaterThanOrEqualTo(1);
        assertThat(after.get("pgtier_leaks_reclaimed", "pool", RW) - before.get("pgtier_leaks_reclaimed", "pool", RW))
                .as("the leaked handle closed at transaction end").isEqualTo(1);
        assertThat(after.get("pgtier_tier_up", "pool", RW, "tier", "primary")).isEqualTo(1);
        assertThat(after.get("pgtier_breaker_open", "pool", RW, "tier", "primary")).isZero();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(scrape().get("pgtier_replication_lag_bytes", "tier", "failover")).isGreaterThanOrEqualTo(0));
        // A tier shared by both pools: its own metrics once, without a pool tag; per-pool ones per pool.
        assertThat(after.series("pgtier_failbacks_total")).hasSize(3).noneMatch(line -> line.contains("pool="));
        assertThat(after.series("pgtier_statement_time_seconds_count")).anyMatch(l -> l.contains("pool=\"pgtier-ro\""));
    }

    @Test
    @Order(2)
    @DisplayName("held connections count as used; a caller of a full pool is pending, then times out")
    void fullPoolIsMeasured() {
        double timeoutsBefore = scrape().get("db_client_connection_timeouts", "pool", RW);
        List<CompletableFuture<HttpResponse<String>>> holders = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            // Long enough that the fourth caller's 1.5 s wait surely ends while all three still hold.
            holders.add(CompletableFuture.supplyAsync(() -> MicroApp.post(app, "api/hold?seconds=15")));
        }
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> assertThat(
                scrape().get("db_client_connection_count", "pool", RW, "tier", "primary", "state", "used")).isEqualTo(3));

        CompletableFuture<HttpResponse<String>> fourth = CompletableFuture.supplyAsync(() -> MicroApp.post(app,
                "api/examples/notes?text=fourth"));
        await().atMost(Duration.ofSeconds(3)).pollInterval(Duration.ofMillis(100)).untilAsserted(() ->
                assertThat(scrape().get("db_client_connection_pending_requests", "pool", RW)).isEqualTo(1));

        assertThat(fourth.join().statusCode()).as("the fourth caller found the pool full").isNotEqualTo(201);
        assertThat(scrape().get("db_client_connection_timeouts", "pool", RW) - timeoutsBefore).isEqualTo(1);
        assertThat(scrape().get("db_client_connection_pending_requests", "pool", RW)).isZero();
        holders.forEach(h -> assertThat(h.join().statusCode()).isEqualTo(200));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(
                scrape().get("db_client_connection_count", "pool", RW, "tier", "primary", "state", "used")).isZero());
    }

    @Test
    @Order(3)
    @DisplayName("a hung primary: its stalled session is aborted, its breaker opens, work fails over; back: it fails back")
    void faultsAreMeasured() {
        Metrics before = scrape();
        CompletableFuture<HttpResponse<String>> stalled = CompletableFuture.supplyAsync(() -> MicroApp.post(app,
                "api/hold?seconds=60"));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(
                scrape().get("db_client_connection_count", "pool", RW, "tier", "primary", "state", "used")).isEqualTo(1));

        primaryRoute.blackhole();
        try {
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                work(1);
                Metrics now = scrape();
                assertThat(now.get("pgtier_sessions_aborted_total", "pool", RW, "tier", "primary"))
                        .isGreaterThan(before.get("pgtier_sessions_aborted_total", "pool", RW, "tier", "primary"));
                assertThat(now.get("pgtier_failovers_total", "pool", RW, "tier", "backup"))
                        .isGreaterThan(before.get("pgtier_failovers_total", "pool", RW, "tier", "backup"));
                assertThat(now.get("pgtier_breaker_transitions_total", "tier", "primary", "to", "OPEN"))
                        .isGreaterThan(before.get("pgtier_breaker_transitions_total", "tier", "primary", "to", "OPEN"));
                assertThat(now.get("pgtier_breaker_open", "pool", RW, "tier", "primary")).isEqualTo(1);
                assertThat(now.get("pgtier_tier_up", "pool", RW, "tier", "primary")).isZero();
            });
            assertThat(stalled.join().statusCode()).as("the held call on the hung route was ended").isNotEqualTo(200);
        } finally {
            primaryRoute.pass();
        }

        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            Metrics now = scrape();
            assertThat(now.get("pgtier_failbacks_total", "tier", "primary"))
                    .isGreaterThan(before.get("pgtier_failbacks_total", "tier", "primary"));
            assertThat(now.get("pgtier_breaker_transitions_total", "tier", "primary", "to", "CLOSED"))
                    .isGreaterThan(before.get("pgtier_breaker_transitions_total", "tier", "primary", "to", "CLOSED"));
            assertThat(now.get("pgtier_tier_up", "pool", RW, "tier", "primary")).isEqualTo(1);
        });
        // For a person to look at: what a scrape of these metrics looks like after the scenarios.
        java.nio.file.Path sample = java.nio.file.Path.of(System.getProperty("pgtier.work")).resolveSibling("metrics-sample.txt");
        try {
            java.nio.file.Files.write(sample, scrape().text().lines().filter(l -> l.contains("pgtier") || l.contains("db_client")).toList());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private void work(int calls) {
        for (int i = 0; i < calls; i++) {
            HttpResponse<String> r = MicroApp.post(app, "api/examples/notes?text=metrics-work");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        }
    }

    private Metrics scrape() {
        HttpResponse<String> r = get(app, "/metrics?scope=application");
        assertThat(r.statusCode()).isEqualTo(200);
        return new Metrics(r.body());
    }

    /** The Prometheus text /metrics answers, read by name and tags. */
    private record Metrics(String text) {

        private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)\\{([^}]*)\\}\\s+(\\S+)");

        List<String> series(String name) {
            return text.lines().filter(l -> l.startsWith(name + "{")).toList();
        }

        /** The one sample of {@code name} whose tags include these ({@code tag, value, tag, value ...}). */
        double get(String name, String... tags) {
            List<Double> found = new ArrayList<>();
            for (String line : series(name)) {
                Matcher m = SAMPLE.matcher(line);
                if (m.find() && hasTags(m.group(2), tags)) {
                    found.add(Double.parseDouble(m.group(3)));
                }
            }
            assertThat(found).as("one sample of %s %s in:%n%s", name, String.join(",", tags), text).hasSize(1);
            return found.get(0);
        }

        private static boolean hasTags(String labels, String... tags) {
            for (int i = 0; i < tags.length; i += 2) {
                if (!(("," + labels + ",").contains("," + tags[i] + "=\"" + tags[i + 1] + "\","))) {
                    return false;
                }
            }
            return true;
        }
    }
}
