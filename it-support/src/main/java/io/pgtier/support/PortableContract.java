package io.pgtier.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgtier.harness.FaultProxy;
import io.pgtier.harness.PgHarness;
import io.pgtier.harness.PgServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * What the unchanged pgtier RAR and the application must do on every server, whatever configures
 * them there: a server's test class deploys them in its test {@code @Order(1)} and ends with its
 * own checks from {@code @Order(7)}; these run in between. The tiers: a primary behind a fault
 * proxy ({@link #primaryRoute}) and an independent writable backup; psql-level reads of the
 * servers are the ground truth.
 */
public abstract class PortableContract {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    protected static PgHarness harness;
    protected static PgServer primary;
    protected static PgServer backup;
    protected static FaultProxy primaryRoute;

    /** The application's root, {@code http://host:port/pgtier-web/}. */
    protected abstract URI app();

    @BeforeAll
    static void startTiers() {
        harness = PgHarness.create();
        primary = harness.startPrimary("primary");
        backup = harness.startPrimary("backup");
        backup.execute("CREATE TABLE IF NOT EXISTS notes(id bigserial PRIMARY KEY, text text NOT NULL,"
                + " created_at timestamptz NOT NULL DEFAULT now())");
        primaryRoute = harness.proxy("primary-route", primary);
    }

    @AfterAll
    static void stopTiers() {
        if (harness != null) {
            harness.close();
        }
    }

    @Test
    @Order(2)
    @DisplayName("@Resource injection and a JNDI lookup reach the READ_WRITE pool on the primary; the READ_ONLY resource serves too")
    void injectionAndLookup() {
        for (String path : List.of("api/examples/server", "api/examples/server-jndi")) {
            HttpResponse<String> r = get(app().resolve(path));
            assertThat(r.statusCode()).as(path + ": " + r.body()).isEqualTo(200);
            assertThat(r.body()).as(path).contains(primary.port() + " primary");
        }
        HttpResponse<String> readOnly = get(app().resolve("api/examples/server-readonly"));
        assertThat(readOnly.statusCode()).as(readOnly.body()).isEqualTo(200);
    }

    @Test
    @Order(3)
    @DisplayName("CMT: commits on success, rolls back on a system exception and on setRollbackOnly (rows counted on the server)")
    void containerManagedTransactions() {
        assertThat(post(app().resolve("api/examples/notes?text=cmt-commit")).statusCode()).isEqualTo(201);
        assertThat(post(app().resolve("api/examples/notes/fail?text=cmt-system-exception")).statusCode()).isEqualTo(500);
        assertThat(post(app().resolve("api/examples/notes/rollback-only?text=cmt-rollback-only")).statusCode()).isEqualTo(200);

        assertThat(count(primary, "cmt-commit")).isEqualTo(1);
        assertThat(count(primary, "cmt-system-exception")).isZero();
        assertThat(count(primary, "cmt-rollback-only")).isZero();
    }

    @Test
    @Order(4)
    @DisplayName("a CMT method that never closes its connection, called 200 times on a pool of 10: never exhausted, every leak counted")
    void leakCleanup() {
        long before = leaks();
        for (int i = 0; i < 200; i++) {
            HttpResponse<String> r = post(app().resolve("api/examples/notes/leak?text=leak"));
            assertThat(r.statusCode()).as("call %d: %s", i, r.body()).isEqualTo(200);
        }
        assertThat(leaks() - before).as("leaks closed at transaction end").isEqualTo(200);
    }

    @Test
    @Order(5)
    @DisplayName("a hung primary route: a bean's call blocked on it ends with an error, and new work goes to the backup")
    void hungPrimaryAbortsBlockedCall() throws Exception {
        CompletableFuture<HttpResponse<String>> blocked = CompletableFuture.supplyAsync(() -> post(app().resolve("api/hold?seconds=120")));
        await().atMost(Duration.ofSeconds(30)).until(() -> primary.queryLong(
                "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%'") > 0);
        long start = System.nanoTime();
        primaryRoute.blackhole();
        try {
            HttpResponse<String> ended = blocked.get(60, TimeUnit.SECONDS);
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            System.out.println(getClass().getSimpleName() + ": the blocked call ended " + ended.statusCode() + " after " + millis
                    + " ms: " + ended.body());
            assertThat(ended.statusCode()).as(ended.body()).isNotEqualTo(200);
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                HttpResponse<String> r = post(app().resolve("api/examples/notes?text=during-hang"));
                assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
            });
            assertThat(count(backup, "during-hang")).isEqualTo(1);
        } finally {
            primaryRoute.pass();
        }
    }

    @Test
    @Order(6)
    @DisplayName("the primary stopped: new connections are made on the backup; it started again: work returns to it")
    void primaryStopped() {
        awaitServedBy(primary);
        primary.stop();
        try {
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                HttpResponse<String> r = post(app().resolve("api/examples/notes?text=primary-stopped"));
                assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
            });
            assertThat(count(backup, "primary-stopped")).isEqualTo(1);
            assertThat(get(app().resolve("api/examples/server")).body()).contains(backup.port() + " primary");
        } finally {
            primary.start();
        }
        awaitServedBy(primary);
    }

    /** After undeploying: no pgtier session is left on either server, and none of {@code ports} listens. */
    protected static void assertNothingLeft(int... ports) {
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(pgtierSessions(primary)).isZero();
            assertThat(pgtierSessions(backup)).isZero();
        });
        for (int port : ports) {
            assertThat(listening(port)).as("port " + port + " listening").isFalse();
        }
    }

    private void awaitServedBy(PgServer server) {
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                assertThat(get(app().resolve("api/examples/server")).body()).contains(server.port() + " primary"));
    }

    private long leaks() {
        HttpResponse<String> status = get(app().resolve("api/status"));
        assertThat(status.statusCode()).as(status.body()).isEqualTo(200);
        Matcher m = Pattern.compile("\"pool\":\"pgtier-rw\".*?\"leaksReclaimed\":(\\d+)").matcher(status.body());
        assertThat(m.find()).as("leaksReclaimed of pgtier-rw in %s", status.body()).isTrue();
        return Long.parseLong(m.group(1));
    }

    private static long count(PgServer server, String text) {
        return server.queryLong("SELECT count(*) FROM notes WHERE text = '" + text + "'");
    }

    private static long pgtierSessions(PgServer server) {
        return server.queryLong("SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'pgtier-%'");
    }

    protected static boolean listening(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    protected static HttpResponse<String> get(URI uri) {
        return send(HttpRequest.newBuilder(uri).GET());
    }

    protected static HttpResponse<String> post(URI uri) {
        return send(HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.noBody()));
    }

    private static HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            return HTTP.send(request.timeout(Duration.ofSeconds(150)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Where Maven copied the RAR and the WAR. */
    protected static Path deps() {
        return Path.of(required("pgtier.deps"));
    }

    protected static String required(String property) {
        String value = System.getProperty(property);
        if (value == null) {
            throw new IllegalStateException("system property " + property + " is not set: run the tests with Maven (failsafe sets it)");
        }
        return value;
    }
}
