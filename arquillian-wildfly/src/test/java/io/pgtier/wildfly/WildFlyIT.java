package io.pgtier.wildfly;

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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jboss.arquillian.container.test.api.ContainerController;
import org.jboss.arquillian.container.test.api.Deployer;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.container.test.api.TargetsContainer;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.spec.ResourceAdapterArchive;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The unchanged pgtier RAR and the application WAR in a real WildFly (Maven's distribution,
 * {@code standalone.xml}), configured as a user would with {@code server-config/wildfly/}'s
 * {@code microprofile-health.cli} and {@code pgtier.cli}, and the two WEB-INF files next to them. The tiers: a
 * primary behind a fault proxy and an independent writable backup. psql-level reads of the servers
 * are the ground truth.
 */
@ExtendWith(ArquillianExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WildFlyIT {

    private static final String CONTAINER = "wildfly";
    private static final int HTTP_PORT = 8080 + 300;
    private static final int MANAGEMENT_PORT = 9990 + 300;
    private static final URI APP = URI.create("http://127.0.0.1:" + HTTP_PORT + "/pgtier-web/");
    private static final URI MANAGEMENT = URI.create("http://127.0.0.1:" + MANAGEMENT_PORT + "/");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private static PgHarness harness;
    private static PgServer primary;
    private static PgServer backup;
    private static FaultProxy primaryRoute;

    @ArquillianResource
    private ContainerController controller;

    @ArquillianResource
    private Deployer deployer;

    @Deployment(name = "rar", managed = false, order = 1, testable = false)
    @TargetsContainer(CONTAINER)
    static ResourceAdapterArchive rar() {
        return ShrinkWrap.createFromZipFile(ResourceAdapterArchive.class, deps().resolve("pgtier-rar.rar").toFile());
    }

    @Deployment(name = "war", managed = false, order = 2, testable = false)
    @TargetsContainer(CONTAINER)
    static WebArchive war() {
        Path config = Path.of(required("pgtier.wildfly.config"));
        return ShrinkWrap.createFromZipFile(WebArchive.class, deps().resolve("pgtier-web.war").toFile())
                .addAsWebInfResource(config.resolve("jboss-deployment-structure.xml").toFile(), "jboss-deployment-structure.xml")
                .addAsWebInfResource(config.resolve("jboss-web.xml").toFile(), "jboss-web.xml")
                .addClass(HoldEndpoint.class);
    }

    @BeforeAll
    static void startServers() {
        harness = PgHarness.create();
        primary = harness.startPrimary("wf-primary");
        backup = harness.startPrimary("wf-backup");
        backup.execute("CREATE TABLE IF NOT EXISTS notes(id bigserial PRIMARY KEY, text text NOT NULL,"
                + " created_at timestamptz NOT NULL DEFAULT now())");
        primaryRoute = harness.proxy("wf-primary-route", primary);
    }

    @AfterAll
    static void stopServers() {
        if (harness != null) {
            harness.close();
        }
    }

    @Test
    @Order(1)
    @DisplayName("deploy: pgtier.cli activates the adapter and its pools, the RAR and the WAR deploy, readiness is UP")
    void deploys() throws Exception {
        controller.start(CONTAINER);
        cli(Files.readString(Path.of(required("pgtier.wildfly.config")).resolve("microprofile-health.cli")));
        cli(Files.readString(Path.of(required("pgtier.wildfly.config")).resolve("pgtier.cli"))
                .replace("${env.PGTIER_PRIMARY_URL}", primaryRoute.jdbcUrl())
                .replace("${env.PGTIER_BACKUP_URL:}", backup.jdbcUrl())
                // WildFly refuses an empty value: a tier without a URL is left out.
                .replaceAll("(?m)^.*failoverUrl:add\\(value=\"\\$\\{env.PGTIER_FAILOVER_URL:}\"\\)\n", "")
                .replace("${env.PGTIER_USER}", PgServer.USER)
                .replace("${env.PGTIER_PASSWORD}", PgHarness.PASSWORD)
                // The resilience tests' tuning, as in the Payara tests: a scenario takes seconds.
                .replace("run-batch", String.join("\n",
                        ra("config-properties=healthCheckIntervalSeconds:add(value=1)"),
                        ra("config-properties=probeTimeoutSeconds:add(value=1)"),
                        ra("config-properties=probeFailuresBeforeDown:add(value=2)"),
                        ra("connection-definitions=pgtier-rw/config-properties=loginTimeoutSeconds:add(value=2)"),
                        ra("connection-definitions=pgtier-rw/config-properties=failbackAfterSeconds:add(value=3)"),
                        ra("connection-definitions=pgtier-rw/config-properties=breakerWaitInOpenStateSeconds:add(value=2)"),
                        "run-batch")));
        String state = cli(":read-attribute(name=server-state)");
        if (state.contains("reload-required")) {
            cli("reload");
        }
        deployer.deploy("rar");
        deployer.deploy("war");

        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            HttpResponse<String> ready = get(MANAGEMENT.resolve("health/ready"));
            assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
            assertThat(ready.body()).contains("pgtier");
        });
    }

    @Test
    @Order(2)
    @DisplayName("@Resource injection and a JNDI lookup reach the READ_WRITE pool on the primary; the READ_ONLY resource serves too")
    void injectionAndLookup() {
        for (String path : List.of("api/examples/server", "api/examples/server-jndi")) {
            HttpResponse<String> r = get(APP.resolve(path));
            assertThat(r.statusCode()).as(path + ": " + r.body()).isEqualTo(200);
            assertThat(r.body()).as(path).contains(primary.port() + " primary");
        }
        HttpResponse<String> readOnly = get(APP.resolve("api/examples/server-readonly"));
        assertThat(readOnly.statusCode()).as(readOnly.body()).isEqualTo(200);
    }

    @Test
    @Order(3)
    @DisplayName("CMT: commits on success, rolls back on a system exception and on setRollbackOnly (rows counted on the server)")
    void containerManagedTransactions() {
        assertThat(post(APP.resolve("api/examples/notes?text=wf-commit")).statusCode()).isEqualTo(201);
        assertThat(post(APP.resolve("api/examples/notes/fail?text=wf-system-exception")).statusCode()).isEqualTo(500);
        assertThat(post(APP.resolve("api/examples/notes/rollback-only?text=wf-rollback-only")).statusCode()).isEqualTo(200);

        assertThat(count(primary, "wf-commit")).isEqualTo(1);
        assertThat(count(primary, "wf-system-exception")).isZero();
        assertThat(count(primary, "wf-rollback-only")).isZero();
    }

    @Test
    @Order(4)
    @DisplayName("a CMT method that never closes its connection, called 200 times on a pool of 10: never exhausted, every leak counted")
    void leakCleanup() {
        long before = leaks();
        for (int i = 0; i < 200; i++) {
            HttpResponse<String> r = post(APP.resolve("api/examples/notes/leak?text=wf-leak"));
            assertThat(r.statusCode()).as("call %d: %s", i, r.body()).isEqualTo(200);
        }
        assertThat(leaks() - before).as("leaks closed at transaction end").isEqualTo(200);
    }

    @Test
    @Order(5)
    @DisplayName("a hung primary route: a bean's call blocked on it ends with an error, and new work goes to the backup")
    void hungPrimaryAbortsBlockedCall() throws Exception {
        CompletableFuture<HttpResponse<String>> blocked = CompletableFuture.supplyAsync(() -> post(APP.resolve("api/hold?seconds=120")));
        await().atMost(Duration.ofSeconds(30)).until(() -> sleeping(primary) > 0);
        long start = System.nanoTime();
        primaryRoute.blackhole();
        try {
            HttpResponse<String> ended = blocked.get(60, TimeUnit.SECONDS);
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            System.out.println("WildFlyIT: the blocked call ended " + ended.statusCode() + " after " + millis + " ms: " + ended.body());
            assertThat(ended.statusCode()).as(ended.body()).isNotEqualTo(200);
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                HttpResponse<String> r = post(APP.resolve("api/examples/notes?text=wf-during-hang"));
                assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
            });
            assertThat(count(backup, "wf-during-hang")).isEqualTo(1);
        } finally {
            primaryRoute.pass();
        }
    }

    @Test
    @Order(6)
    @DisplayName("the primary stopped: new connections are made on the backup; it started again: work returns to it")
    void primaryStopped() throws Exception {
        awaitServedBy(primary);
        primary.stop();
        try {
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                HttpResponse<String> r = post(APP.resolve("api/examples/notes?text=wf-primary-stopped"));
                assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
            });
            assertThat(count(backup, "wf-primary-stopped")).isEqualTo(1);
            assertThat(get(APP.resolve("api/examples/server")).body()).contains(backup.port() + " primary");
        } finally {
            primary.start();
        }
        awaitServedBy(primary);
    }

    @Test
    @Order(7)
    @DisplayName("readiness (MicroProfile Health): DOWN while no tier can serve, UP again when one can")
    void readinessDownAndUp() {
        primary.stop();
        backup.stop();
        try {
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                HttpResponse<String> ready = get(MANAGEMENT.resolve("health/ready"));
                assertThat(ready.statusCode()).as(ready.body()).isEqualTo(503);
                assertThat(ready.body()).contains("pgtier").contains("DOWN");
            });
        } finally {
            primary.start();
            backup.start();
        }
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(get(MANAGEMENT.resolve("health/ready")).statusCode()).isEqualTo(200));
    }

    @Test
    @Order(8)
    @DisplayName("undeploy and stop: no pgtier session is left on any server, and WildFly's ports are closed")
    void nothingLeftRunning() throws Exception {
        deployer.undeploy("war");
        deployer.undeploy("rar");
        controller.stop(CONTAINER);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(pgtierSessions(primary)).isZero();
            assertThat(pgtierSessions(backup)).isZero();
        });
        assertThat(listening(HTTP_PORT)).as("HTTP port").isFalse();
        assertThat(listening(MANAGEMENT_PORT)).as("management port").isFalse();
    }

    private void awaitServedBy(PgServer server) {
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                assertThat(get(APP.resolve("api/examples/server")).body()).contains(server.port() + " primary"));
    }

    private long leaks() {
        HttpResponse<String> status = get(APP.resolve("api/status"));
        assertThat(status.statusCode()).as(status.body()).isEqualTo(200);
        Matcher m = Pattern.compile("\"pool\":\"pgtier-rw\".*?\"leaksReclaimed\":(\\d+)").matcher(status.body());
        assertThat(m.find()).as("leaksReclaimed of pgtier-rw in %s", status.body()).isTrue();
        return Long.parseLong(m.group(1));
    }

    private static String ra(String operation) {
        return "/subsystem=resource-adapters/resource-adapter=pgtier-rar.rar/" + operation;
    }

    /** Runs jboss-cli commands (one per line) against the running server; fails with its output when it fails. */
    private static String cli(String commands) throws IOException, InterruptedException {
        Path file = Files.createTempFile(Files.createDirectories(Path.of(required("pgtier.work"))), "pgtier", ".cli");
        Files.writeString(file, commands);
        Path home = Path.of(required("pgtier.wildfly.home"));
        Process p = new ProcessBuilder(home.resolve("bin/jboss-cli.sh").toString(), "--connect",
                "--controller=remote+http://127.0.0.1:" + MANAGEMENT_PORT, "--file=" + file)
                .redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("jboss-cli ended").isTrue();
        assertThat(p.exitValue()).as("jboss-cli: " + output).isZero();
        Files.delete(file);
        return output;
    }

    private static long count(PgServer server, String text) {
        return server.queryLong("SELECT count(*) FROM notes WHERE text = '" + text + "'");
    }

    private static long sleeping(PgServer server) {
        return server.queryLong("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%'");
    }

    private static long pgtierSessions(PgServer server) {
        return server.queryLong("SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'pgtier-%'");
    }

    private static boolean listening(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static HttpResponse<String> get(URI uri) {
        return send(HttpRequest.newBuilder(uri).GET());
    }

    private static HttpResponse<String> post(URI uri) {
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

    private static Path deps() {
        return Path.of(required("pgtier.deps"));
    }

    private static String required(String property) {
        String value = System.getProperty(property);
        if (value == null) {
            throw new IllegalStateException("system property " + property + " is not set: run the tests with Maven (failsafe sets it)");
        }
        return value;
    }
}
