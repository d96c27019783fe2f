package io.pgtier.glassfish;

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
import java.util.ArrayList;
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
 * The unchanged pgtier RAR and the application WAR in a real GlassFish 7 (Maven's distribution,
 * its {@code domain1}), configured with the same {@code asadmin} commands as Payara Micro's
 * post-boot file ({@code server-config/micro/post-boot.asadmin}, run by {@code asadmin multimode}).
 * GlassFish 7 has no MicroProfile Health or Metrics: the application deploys without them, and the
 * pools' state is read from its {@code api/status}. The tiers: a primary behind a fault proxy and
 * an independent writable backup; psql-level reads of the servers are the ground truth.
 */
@ExtendWith(ArquillianExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GlassFishIT {

    private static final String CONTAINER = "glassfish";
    private static final int HTTP_PORT = 8080;
    private static final int ADMIN_PORT = 4848;
    private static final URI APP = URI.create("http://127.0.0.1:" + HTTP_PORT + "/pgtier-web/");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private static PgHarness harness;
    private static PgServer primary;
    private static PgServer backup;
    private static FaultProxy primaryRoute;

    @ArquillianResource
    private ContainerController controller;

    @ArquillianResource
    private Deployer deployer;

    @Deployment(name = "war", managed = false, testable = false)
    @TargetsContainer(CONTAINER)
    static WebArchive war() {
        return ShrinkWrap.createFromZipFile(WebArchive.class, deps().resolve("pgtier-web.war").toFile())
                .addClass(HoldEndpoint.class);
    }

    @BeforeAll
    static void startServers() {
        assertThat(listening(HTTP_PORT) || listening(ADMIN_PORT)).as("GlassFish's ports 8080 and 4848 are free").isFalse();
        harness = PgHarness.create();
        primary = harness.startPrimary("gf-primary");
        backup = harness.startPrimary("gf-backup");
        backup.execute("CREATE TABLE IF NOT EXISTS notes(id bigserial PRIMARY KEY, text text NOT NULL,"
                + " created_at timestamptz NOT NULL DEFAULT now())");
        primaryRoute = harness.proxy("gf-primary-route", primary);
    }

    @AfterAll
    static void stopServers() throws Exception {
        if (listening(ADMIN_PORT)) {
            // A test failed before the last one stopped the domain: stop it, so nothing is left running.
            new ProcessBuilder(Path.of(required("pgtier.glassfish.home")).resolve("bin/asadmin").toString(), "stop-domain", "domain1")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor(120, TimeUnit.SECONDS);
        }
        if (harness != null) {
            harness.close();
        }
    }

    @Test
    @Order(1)
    @DisplayName("deploy: asadmin deploys the RAR and creates both pools and resources; the WAR deploys and both pools serve")
    void deploys() throws Exception {
        // The container adapter starts the domain only at its first deployment, and the application's
        // resources must exist before it deploys: the domain is started as a user does, and Arquillian connects to it.
        // A fresh domain1, so an earlier run's alias, adapter config or pools cannot linger.
        asadmin("delete-domain", "domain1");
        asadmin("create-domain", "--nopassword=true", "--adminport", String.valueOf(ADMIN_PORT),
                "--instanceport", String.valueOf(HTTP_PORT), "domain1");
        asadmin("start-domain", "domain1");
        controller.start(CONTAINER);
        Path work = Files.createDirectories(Path.of(required("pgtier.work")));
        Path aliasPassword = work.resolve("pgtier-db.aliaspassword");
        Files.writeString(aliasPassword, "AS_ADMIN_ALIASPASSWORD=" + PgHarness.PASSWORD + "\n");
        List<String> commands = new ArrayList<>();
        for (String line : Files.readString(Path.of(required("pgtier.postboot")))
                .replace("${ENV\\=PGTIER_PRIMARY_URL}", escape(primaryRoute.jdbcUrl()))
                .replace("${ENV\\=PGTIER_BACKUP_URL}", escape(backup.jdbcUrl()))
                .replace(":failoverUrl=${ENV\\=PGTIER_FAILOVER_URL}", "")
                .replace("${ENV\\=PGTIER_USER}", PgServer.USER)
                .replace("--passwordfile pgtier-db.aliaspassword", "--passwordfile " + aliasPassword)
                .replace("--name pgtier pgtier-rar.rar", "--name pgtier " + deps().resolve("pgtier-rar.rar"))
                // The resilience tests' tuning, as in the Payara tests: a scenario takes seconds.
                .replace("--property poolName=", "--property loginTimeoutSeconds=2:failbackAfterSeconds=3:breakerWaitInOpenStateSeconds=2:poolName=")
                .lines().toList()) {
            if (line.startsWith("deploy --type rar")) {
                commands.add("create-resource-adapter-config --property healthCheckIntervalSeconds=1:probeTimeoutSeconds=1:probeFailuresBeforeDown=2 pgtier");
            }
            if (!line.isBlank() && !line.startsWith("#")) {
                commands.add(line.replace("\\", "\\\\")); // multimode reads a backslash as an escape, as a shell does
            }
        }
        Path file = work.resolve("pgtier.asadmin");
        Files.write(file, commands);
        asadmin("multimode", "--file", file.toString());
        Files.delete(aliasPassword);
        deployer.deploy("war");

        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            HttpResponse<String> status = get(APP.resolve("api/status"));
            assertThat(status.statusCode()).as(status.body()).isEqualTo(200);
            assertThat(status.body()).contains("\"pool\":\"pgtier-rw\",\"purpose\":\"READ_WRITE\",\"canServe\":true")
                    .contains("\"pool\":\"pgtier-ro\",\"purpose\":\"READ_ONLY\",\"canServe\":true");
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
        assertThat(post(APP.resolve("api/examples/notes?text=gf-commit")).statusCode()).isEqualTo(201);
        assertThat(post(APP.resolve("api/examples/notes/fail?text=gf-system-exception")).statusCode()).isEqualTo(500);
        assertThat(post(APP.resolve("api/examples/notes/rollback-only?text=gf-rollback-only")).statusCode()).isEqualTo(200);

        assertThat(count(primary, "gf-commit")).isEqualTo(1);
        assertThat(count(primary, "gf-system-exception")).isZero();
        assertThat(count(primary, "gf-rollback-only")).isZero();
    }

    @Test
    @Order(4)
    @DisplayName("a CMT method that never closes its connection, called 200 times on a pool of 10: never exhausted, every leak counted")
    void leakCleanup() {
        long before = leaks();
        for (int i = 0; i < 200; i++) {
            HttpResponse<String> r = post(APP.resolve("api/examples/notes/leak?text=gf-leak"));
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
            System.out.println("GlassFishIT: the blocked call ended " + ended.statusCode() + " after " + millis + " ms: " + ended.body());
            assertThat(ended.statusCode()).as(ended.body()).isNotEqualTo(200);
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                HttpResponse<String> r = post(APP.resolve("api/examples/notes?text=gf-during-hang"));
                assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
            });
            assertThat(count(backup, "gf-during-hang")).isEqualTo(1);
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
                HttpResponse<String> r = post(APP.resolve("api/examples/notes?text=gf-primary-stopped"));
                assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
            });
            assertThat(count(backup, "gf-primary-stopped")).isEqualTo(1);
            assertThat(get(APP.resolve("api/examples/server")).body()).contains(backup.port() + " primary");
        } finally {
            primary.start();
        }
        awaitServedBy(primary);
    }

    @Test
    @Order(7)
    @DisplayName("undeploy and stop: no pgtier session is left on any server, and GlassFish's ports are closed")
    void nothingLeftRunning() throws Exception {
        deployer.undeploy("war");
        asadmin("undeploy", "--cascade=true", "pgtier"); // with its pools and resources
        controller.stop(CONTAINER);
        asadmin("stop-domain", "domain1");
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(pgtierSessions(primary)).isZero();
            assertThat(pgtierSessions(backup)).isZero();
        });
        assertThat(listening(HTTP_PORT)).as("HTTP port").isFalse();
        assertThat(listening(ADMIN_PORT)).as("admin port").isFalse();
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

    /** asadmin against the running domain; fails with its output when it fails. */
    private static String asadmin(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Path.of(required("pgtier.glassfish.home")).resolve("bin/asadmin").toString(),
                "--port", String.valueOf(ADMIN_PORT), "--interactive=false"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(180, TimeUnit.SECONDS)).as("asadmin ended").isTrue();
        assertThat(p.exitValue()).as("asadmin " + String.join(" ", args) + ": " + output).isZero();
        return output;
    }

    /** asadmin property syntax: ':' and '=' inside a value are escaped. */
    private static String escape(String value) {
        return value.replace(":", "\\:").replace("=", "\\=");
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
