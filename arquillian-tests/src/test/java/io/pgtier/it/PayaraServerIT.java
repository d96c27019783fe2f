package io.pgtier.it;

import static io.pgtier.it.MicroApp.get;
import static io.pgtier.it.MicroApp.notes;
import static io.pgtier.it.MicroApp.post;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgtier.harness.PgHarness;
import io.pgtier.harness.PgServer;
import java.io.IOException;
import java.net.CookieManager;
import java.net.Socket;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The EAR on Payara Server (full), set up the way an operator does: a fresh domain from the
 * Maven-fetched distribution, {@code server-config/server/install.sh} (password alias, EAR, the
 * two pools of the RAR inside it), then beans called in container-managed transactions, the pool
 * read, pinged and changed through asadmin and the REST management API the console uses, and
 * {@code uninstall.sh} and {@code stop-domain} leaving nothing behind.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PayaraServerIT {

    private static final String POOL = "/management/domain/resources/connector-connection-pool/pgtier-rw";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private PgHarness harness;
    private PgServer primary;
    private PgServer other;
    private PayaraDomain domain;
    private PayaraDomain.Result install;
    private URL app;

    @BeforeAll
    void install() throws Exception {
        harness = PgHarness.create();
        primary = harness.startPrimary("ear-primary");
        other = harness.startPrimary("ear-other");
        domain = PayaraDomain.create("pgtier-it");
        domain.start();
        install = domain.script(scripts().resolve("install.sh"), Map.of(
                "PGTIER_PRIMARY_URL", primary.jdbcUrl(),
                "PGTIER_USER", PgServer.USER,
                "PGTIER_PASSWORD", PgHarness.PASSWORD), MicroApp.deps().resolve("pgtier-ear.ear").toString());
        app = URI.create("http://localhost:" + domain.httpPort() + "/pgtier-web/").toURL();
    }

    @AfterAll
    void stop() {
        try {
            if (domain != null) {
                domain.close();
            }
        } finally {
            if (harness != null) {
                harness.close();
            }
        }
    }

    @Test
    @Order(1)
    @DisplayName("install.sh on a fresh domain: alias, EAR, both pools of the embedded RAR, and each pool pings")
    void installs() {
        assertThat(install.exitCode()).as(install.output()).isZero();
        assertThat(install.output()).as("both pings").containsSubsequence(
                "Command ping-connection-pool executed successfully", "Command ping-connection-pool executed successfully");
        assertThat(install.output()).doesNotContain(PgHarness.PASSWORD);
        assertThat(domain.asadmin("list-applications").output()).contains("pgtier");
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            HttpResponse<String> ready = get(app, "/health/ready");
            assertThat(ready.statusCode()).as("ready on Payara Server: " + ready.body()).isEqualTo(200);
        });
    }

    @Test
    @Order(2)
    @DisplayName("a bean in the EAR commits in a container-managed transaction, and a system exception rolls it back")
    void beanCommits() throws SQLException {
        assertThat(post(app, "api/examples/notes?text=ear-commit").statusCode()).isEqualTo(201);
        assertThat(post(app, "api/examples/notes/fail?text=ear-system-exception").statusCode()).isEqualTo(500);

        assertThat(notes(primary, "ear-commit")).isEqualTo(1);
        assertThat(notes(primary, "ear-system-exception")).isZero();
        assertThat(get(app, "api/examples/server").body()).contains(primary.port() + " primary");
    }

    @Test
    @Order(3)
    @DisplayName("the REST management API reads the pool of the embedded RAR, shows the alias and not the password, and pings it")
    void restReadsAndPings() {
        String pool = rest("GET", POOL, null).body();
        assertThat(pool).contains("\"resourceAdapterName\":\"pgtier#pgtier-rar\"", "\"transactionSupport\":\"LocalTransaction\"");

        String properties = rest("GET", POOL + "/property", null).body();
        assertThat(properties).contains("{\"name\":\"primaryUrl\",\"value\":\"" + primary.jdbcUrl() + "\"}",
                "{\"name\":\"password\",\"value\":\"${ALIAS=pgtier-db}\"}");
        assertThat(properties).doesNotContain(PgHarness.PASSWORD);

        String ping = rest("GET", "/management/domain/resources/ping-connection-pool?id=pgtier-rw", null).body();
        assertThat(ping).contains("\"exit_code\":\"SUCCESS\"");
    }

    @Test
    @Order(4)
    @DisplayName("the admin console's Additional Properties page of the pool lists the pgtier properties and values, the password masked as its alias")
    void consoleListsTheProperties() {
        // The page is rendered on the server (JSF), so what a browser shows is in the HTML.
        HttpClient console = HttpClient.newBuilder().cookieHandler(new CookieManager())
                .followRedirects(HttpClient.Redirect.NORMAL).connectTimeout(Duration.ofSeconds(10)).build();
        String base = "http://localhost:" + domain.adminPort();
        // The console deploys itself on first use: its login form appears after a loading page.
        await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1))
                .until(() -> send(console, HttpRequest.newBuilder(URI.create(base + "/")).GET()).body().contains("j_security_check"));
        send(console, HttpRequest.newBuilder(URI.create(base + "/j_security_check"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("j_username=admin&j_password=&loginButton=Login")));

        String page = send(console, HttpRequest.newBuilder(
                URI.create(base + "/jca/connectorConnectionPoolProperty.jsf?name=pgtier-rw")).GET()).body();

        assertThat(page).contains("Additional Properties");
        for (String property : List.of("poolName", "purpose", "primaryUrl", "user", "password")) {
            assertThat(page).as("a row for %s", property).contains("value=\"" + property + "\"");
        }
        assertThat(page).containsPattern("(?s)value=\"primaryUrl\".{0,800}?value=\"" + Pattern.quote(primary.jdbcUrl()) + "\"");
        assertThat(page).as("confidential: a password field holding the alias")
                .containsPattern("type=\"password\"[^>]*value=\"\\$\\{ALIAS=pgtier-db\\}\"");
        assertThat(page).doesNotContain(PgHarness.PASSWORD);
    }

    @Test
    @Order(5)
    @DisplayName("a pool with a bad property fails its ping naming the property, the value and what is allowed; the others keep working")
    void badPropertyFailsAtCreation() throws SQLException {
        domain.asadmin("create-connector-connection-pool", "--raname", "pgtier#pgtier-rar",
                "--connectiondefinition", "javax.sql.DataSource", "--transactionsupport", "LocalTransaction",
                "--property", "poolName=orders:primaryUrl=" + MicroApp.escape(primary.jdbcUrl())
                        + ":user=postgres:password=${ALIAS\\=pgtier-db}:primaryMaxConnections=-3",
                "pgtier-bad").orFail("create-connector-connection-pool");
        try {
            String ping = rest("GET", "/management/domain/resources/ping-connection-pool?id=pgtier-bad", null).body();
            assertThat(ping).contains("\"exit_code\":\"FAILURE\"",
                    "PGT-210 pgtier[orders] invalid primaryMaxConnections = -3: allowed: 1 to 10000");

            assertThat(rest("GET", "/management/domain/resources/ping-connection-pool?id=pgtier-rw", null).body())
                    .contains("\"exit_code\":\"SUCCESS\"");
            assertThat(post(app, "api/examples/notes?text=ear-beside-bad-pool").statusCode()).isEqualTo(201);
            assertThat(notes(primary, "ear-beside-bad-pool")).isEqualTo(1);
        } finally {
            domain.asadmin("delete-connector-connection-pool", "pgtier-bad").orFail("delete-connector-connection-pool");
        }
    }

    @Test
    @Order(6)
    @DisplayName("a property changed with asadmin set, then through REST, takes effect without a restart: new lookups and injected beans at once")
    void propertyChangeTakesEffect() throws SQLException {
        // The operator moves the pool to another server, which holds the application's schema (no redeploy creates it).
        other.execute("CREATE TABLE IF NOT EXISTS notes(id bigserial PRIMARY KEY, text text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())");
        domain.asadmin("set", "resources.connector-connection-pool.pgtier-rw.property.primaryUrl=" + other.jdbcUrl()).orFail("set");

        // Payara re-creates the pool with a new factory: a fresh JNDI lookup gets it at once, and the factory a
        // bean was injected with follows it (PGT-230; Payara's own pools need the application re-enabled).
        assertThat(get(app, "api/examples/server-jndi").body()).contains(other.port() + " primary");
        assertThat(get(app, "api/examples/server").body()).contains(other.port() + " primary");
        assertThat(post(app, "api/examples/notes?text=ear-after-set").statusCode()).isEqualTo(201);
        assertThat(notes(other, "ear-after-set")).isEqualTo(1);
        assertThat(notes(primary, "ear-after-set")).isZero();

        // The console's way: read the property list, change one, send the whole list back.
        String properties = rest("GET", POOL + "/property", null).body();
        String list = properties.substring(properties.indexOf("\"properties\":[") + "\"properties\":".length());
        list = list.substring(0, list.indexOf(']') + 1).replace(other.jdbcUrl(), primary.jdbcUrl());
        HttpResponse<String> saved = rest("POST", POOL + "/property", list);
        assertThat(saved.statusCode()).as(saved.body()).isEqualTo(200);

        assertThat(get(app, "api/examples/server").body()).contains(primary.port() + " primary");
        assertThat(post(app, "api/examples/notes?text=ear-after-rest").statusCode()).isEqualTo(201);
        assertThat(notes(primary, "ear-after-rest")).isEqualTo(1);
        assertThat(rest("GET", POOL + "/property", null).body()).as("no property lost on the way")
                .contains("\"name\":\"password\"", "\"name\":\"user\"", "\"name\":\"purpose\"", "\"name\":\"poolName\"");
    }

    @Test
    @Order(7)
    @DisplayName("a password rotated through asadmin without a restart: a new alias, the pool's property set to it; new work"
            + " signs on with the new password, and the monitor does not keep trying the old one")
    void passwordRotation() throws Exception {
        primary.execute("CREATE ROLE rotor LOGIN SUPERUSER PASSWORD 'rotor-pw-1'");
        alias("pgtier-rotor-1", "rotor-pw-1");
        domain.asadmin("set", "resources.connector-connection-pool.pgtier-rw.property.user=rotor").orFail("set user");
        domain.asadmin("set", "resources.connector-connection-pool.pgtier-rw.property.password=${ALIAS=pgtier-rotor-1}")
                .orFail("set password");
        // No restart: Payara re-creates the pool, and the factory the beans hold follows it (PGT-230).
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(post(app, "api/examples/notes?text=ear-rotor-1").statusCode()).isEqualTo(201));
        assertThat(sessionsOf(primary, "rotor")).as("the pool signs on as rotor").isPositive();

        // The DBA rotates the password; the operator makes a new alias and points the pool at it.
        long failedBefore = failedLogins("rotor");
        primary.execute("ALTER ROLE rotor PASSWORD 'rotor-pw-2'");
        alias("pgtier-rotor-2", "rotor-pw-2");
        domain.asadmin("set", "resources.connector-connection-pool.pgtier-rw.property.password=${ALIAS=pgtier-rotor-2}")
                .orFail("set password");

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(post(app, "api/examples/notes?text=ear-rotor-2").statusCode()).isEqualTo(201));
        assertThat(notes(primary, "ear-rotor-2")).isEqualTo(1);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(get(app, "api/status").body())
                .as("the READ_WRITE pool can serve").contains("\"pool\":\"pgtier-rw\",\"purpose\":\"READ_WRITE\",\"canServe\":true"));
        // The monitor's last good password is tried once after the rotation; a monitor still probing with the old one
        // would add a failed login every round: two more rounds add none.
        // Two rounds first: one under way at the rotation may still try the old password, once.
        MicroApp.awaitMonitorRounds(app, 2);
        long failed = failedLogins("rotor");
        MicroApp.awaitMonitorRounds(app, 2);
        assertThat(failedLogins("rotor")).as("failed logins as rotor over two more monitor rounds").isEqualTo(failed);
        assertThat(failed - failedBefore).as("failed logins as rotor after the rotation").isLessThanOrEqualTo(2);

        // Back to the install's sign-on, for the uninstall below.
        domain.asadmin("set", "resources.connector-connection-pool.pgtier-rw.property.user=" + PgServer.USER).orFail("set user");
        domain.asadmin("set", "resources.connector-connection-pool.pgtier-rw.property.password=${ALIAS=pgtier-db}").orFail("set");
        for (String alias : List.of("pgtier-rotor-1", "pgtier-rotor-2")) {
            domain.asadmin("delete-password-alias", alias).orFail("delete-password-alias");
        }
    }

    private long failedLogins(String user) {
        return primary.log().lines().filter(l -> l.contains("password authentication failed for user \"" + user + "\"")).count();
    }

    private void alias(String name, String password) throws IOException {
        Path file = java.nio.file.Files.createTempFile("pgtier-alias", ".txt");
        try {
            java.nio.file.Files.writeString(file, "AS_ADMIN_ALIASPASSWORD=" + password + "\n");
            domain.asadmin("--passwordfile", file.toString(), "create-password-alias", name).orFail("create-password-alias");
        } finally {
            java.nio.file.Files.delete(file);
        }
    }

    private static int sessionsOf(PgServer server, String user) throws SQLException {
        try (Connection c = server.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE usename = '" + user + "'")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    @Test
    @Order(8)
    @DisplayName("uninstall.sh and stop-domain leave nothing: no application, pool, alias, session or server process")
    void uninstallsAndStops() throws Exception {
        PayaraDomain.Result uninstall = domain.script(scripts().resolve("uninstall.sh"), Map.of());
        assertThat(uninstall.exitCode()).as(uninstall.output()).isZero();
        assertThat(domain.asadmin("list-applications").output()).doesNotContain("pgtier");
        assertThat(domain.asadmin("list-password-aliases").output()).doesNotContain("pgtier-db");
        assertThat(rest("GET", POOL, null).statusCode()).isEqualTo(404);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(pgtierSessions(primary)).isZero();
            assertThat(pgtierSessions(other)).isZero();
        });

        ProcessHandle server = domain.process().orElseThrow();
        PayaraDomain.Result stop = domain.stop();
        assertThat(stop.exitCode()).as(stop.output()).isZero();
        assertThat(server.onExit().orTimeout(60, java.util.concurrent.TimeUnit.SECONDS).join().isAlive())
                .as("the server process ended by itself").isFalse();
        assertThat(listening(domain.adminPort())).as("admin port closed").isFalse();
        assertThat(listening(domain.httpPort())).as("HTTP port closed").isFalse();
    }

    /** Disables and enables the application, as Payara documents after a connector pool change. */
    private static HttpResponse<String> send(HttpClient client, HttpRequest.Builder request) {
        try {
            return client.send(request.timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private HttpResponse<String> rest(String method, String path, String json) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://localhost:" + domain.adminPort() + path))
                .header("Accept", "application/json")
                .header("X-Requested-By", "pgtier-tests");
        if (json == null) {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            request.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(json));
        }
        return send(HTTP, request);
    }

    /** Sessions of any pgtier pool or monitor on a server. */
    private static int pgtierSessions(PgServer server) throws SQLException {
        try (Connection c = server.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'pgtier%'")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static boolean listening(int port) {
        try (Socket socket = new Socket("localhost", port)) {
            return true;
        } catch (IOException refused) {
            return false;
        }
    }

    private static Path scripts() {
        return Path.of(System.getProperty("pgtier.server.scripts"));
    }
}
