package io.pgtier.it;

import io.pgtier.harness.PgHarness;
import io.pgtier.harness.PgServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.spec.WebArchive;

/**
 * What every container test needs: the application WAR as built, a Payara Micro post-boot file
 * made from the one users run ({@code server-config/micro/post-boot.asadmin}) with this test's
 * tier URLs in place of the environment variables, and plain HTTP calls to the application.
 *
 * <p>Arquillian boots Micro after the test class's {@code @Deployment} method returns, so that
 * method starts the PostgreSQL servers and writes the post-boot file here first.
 */
final class MicroApp {

    /**
     * The resilience tests' tuning, so a scenario takes seconds: the resource adapter probes every
     * tier each second with a 1 s timeout and declares it down after 2 failures (goes before the RAR's
     * deployment); pools give up a login after 2 s, fail back after 3 s, and re-try an open breaker after 2 s.
     */
    static final List<String> FAST_MONITOR = List.of(
            "create-resource-adapter-config --property healthCheckIntervalSeconds=1:probeTimeoutSeconds=1:probeFailuresBeforeDown=2 pgtier");
    static final String FAST_POOLS = "loginTimeoutSeconds=2:failbackAfterSeconds=3:breakerWaitInOpenStateSeconds=2";

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private MicroApp() {
    }

    static Path deps() {
        return Path.of(required("pgtier.deps"));
    }

    /** The application WAR as Maven built it. */
    static WebArchive war() {
        return ShrinkWrap.createFromZipFile(WebArchive.class, deps().resolve("pgtier-web.war").toFile());
    }

    /**
     * Writes the post-boot file Micro will run: {@code before} goes ahead of the RAR's deployment
     * (resource adapter settings), {@code after} at the end (pool tuning, extra pools).
     */
    static void writePostBoot(String primaryUrl, String backupUrl, String failoverUrl, List<String> before, List<String> after) {
        writePostBoot(primaryUrl, backupUrl, failoverUrl, "", before, after);
    }

    /** As above, with {@code poolProperties} ({@code name=value:...}, asadmin-escaped) added to both pools. */
    static void writePostBoot(String primaryUrl, String backupUrl, String failoverUrl, String poolProperties,
            List<String> before, List<String> after) {
        Path work = Path.of(required("pgtier.work"));
        try {
            Files.createDirectories(work.resolve("tmp"));
            Path aliasPassword = work.resolve("pgtier-db.aliaspassword");
            Files.writeString(aliasPassword, "AS_ADMIN_ALIASPASSWORD=" + PgHarness.PASSWORD + "\n");
            String template = Files.readString(Path.of(required("pgtier.postboot")));
            String commands = template;
            commands = replaceOnce(commands, "${ENV\\=PGTIER_PRIMARY_URL}", escape(primaryUrl));
            commands = replaceOnce(commands, "${ENV\\=PGTIER_BACKUP_URL}", escape(backupUrl));
            commands = replaceOnce(commands, "${ENV\\=PGTIER_FAILOVER_URL}", escape(failoverUrl));
            commands = replaceOnce(commands, "${ENV\\=PGTIER_USER}", PgServer.USER);
            commands = replaceOnce(commands, "--passwordfile pgtier-db.aliaspassword", "--passwordfile " + aliasPassword);
            commands = replaceOnce(commands, "--name pgtier pgtier-rar.rar", "--name pgtier " + deps().resolve("pgtier-rar.rar"));
            String properties = withHarnessTls(poolProperties);
            commands = replaceOnce(commands, "--property poolName=",
                    "--property " + (properties.isEmpty() ? "" : properties + ":") + "poolName=");
            // asadmin refuses an empty property value: a tier without a URL is left out, as install.sh does.
            commands = commands.replaceAll(":(backupUrl|failoverUrl)=(?=:)", "");
            List<String> lines = new ArrayList<>();
            for (String line : commands.lines().toList()) {
                if (line.startsWith("deploy --type rar")) {
                    lines.addAll(before);
                }
                lines.add(line);
            }
            lines.addAll(after);
            Files.write(work.resolve("post-boot.asadmin"), lines);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * {@code poolProperties} plus {@code verify-full} against the harness's test CA when the
     * harness runs every server with TLS only ({@link PgHarness#TLS_PROPERTY}, the suite's TLS run).
     */
    static String withHarnessTls(String poolProperties) {
        return PgHarness.tlsRootCert()
                .filter(root -> !poolProperties.contains("sslMode="))
                .map(root -> (poolProperties.isEmpty() ? "" : poolProperties + ":") + "sslMode=verify-full:sslRootCert=" + escape(root.toString()))
                .orElse(poolProperties);
    }

    /**
     * The commands of a post-boot add-on in {@code server-config/micro/} ({@code file}), with
     * {@code ${ENV\=NAME}} replaced by {@code env}'s values; comments and blank lines left out.
     */
    static List<String> addOn(String file, java.util.Map<String, String> env) {
        try {
            String commands = Files.readString(Path.of(required("pgtier.postboot")).resolveSibling(file));
            for (var e : env.entrySet()) {
                commands = replaceOnce(commands, "${ENV\\=" + e.getKey() + "}", escape(e.getValue()));
            }
            commands = commands.replaceAll(":(backupUrl|failoverUrl)=(?=:)", "");
            return commands.lines().filter(l -> !l.isBlank() && !l.startsWith("#")).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Replaces every {@code target}; fails when there is none, so a change to the user's file cannot slip past the tests. */
    private static String replaceOnce(String text, String target, String replacement) {
        if (!text.contains(target)) {
            throw new IllegalStateException("server-config/micro/post-boot.asadmin no longer contains " + target);
        }
        return text.replace(target, replacement);
    }

    /** asadmin property syntax: ':' and '=' inside a value are escaped. */
    static String escape(String value) {
        return value.replace(":", "\\:").replace("=", "\\=");
    }

    static HttpResponse<String> get(URL base, String path) {
        return send(HttpRequest.newBuilder(resolve(base, path)).GET());
    }

    static HttpResponse<String> post(URL base, String path) {
        return send(HttpRequest.newBuilder(resolve(base, path)).POST(HttpRequest.BodyPublishers.noBody()));
    }

    /**
     * An operator's POST: HTTP Basic as {@code user} (none when {@code null}), and the
     * {@code X-Requested-By} header the operator API asks for unless {@code requestedBy} is null.
     */
    static HttpResponse<String> postAs(URL base, String path, String user, String password, String requestedBy) {
        HttpRequest.Builder request = HttpRequest.newBuilder(resolve(base, path)).POST(HttpRequest.BodyPublishers.noBody());
        if (user != null) {
            request.header("Authorization", "Basic " + java.util.Base64.getEncoder()
                    .encodeToString((user + ":" + password).getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        }
        if (requestedBy != null) {
            request.header("X-Requested-By", requestedBy);
        }
        return send(request);
    }

    static HttpResponse<String> post(URL base, String path, String body) {
        return send(HttpRequest.newBuilder(resolve(base, path)).header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    /** Rows in {@code notes} with this text, counted by the server itself. */
    static long notes(PgServer server, String text) throws SQLException {
        try (Connection c = server.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM notes WHERE text = '" + text.replace("'", "''") + "'")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** Sessions a pool holds on a server, as the server counts them. */
    static int sessions(PgServer server, String pool) throws SQLException {
        try (Connection c = server.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgtier-" + pool + "'")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    /** The server's client sessions, one line each, for failure messages. */
    static String activity(PgServer server) {
        try (Connection c = server.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT string_agg(pid || ' ' || coalesce(application_name, '') || ' ' || coalesce(state, '')"
                     + " || ' since ' || backend_start::time, '; ') FROM pg_stat_activity WHERE backend_type = 'client backend'")) {
            rs.next();
            return rs.getString(1);
        } catch (SQLException e) {
            return "(unreadable: " + e.getMessage() + ")";
        }
    }

    /**
     * Waits until the adapter's monitor has finished {@code rounds} more rounds, as
     * {@code /api/status}'s {@code lastHealthCheck} shows them (on Payara Micro or Server).
     */
    static void awaitMonitorRounds(URL app, int rounds) {
        for (int round = 0; round < rounds; round++) {
            String last = lastHealthCheck(app);
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> !lastHealthCheck(app).equals(last));
        }
    }

    private static String lastHealthCheck(URL app) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"lastHealthCheck\":\"([^\"]+)\"").matcher(get(app, "api/status").body());
        return m.find() ? m.group(1) : "";
    }

    /**
     * Micro's log so far, every file of it: {@code --logToFile server.log} (arquillian.xml) writes
     * {@code server.log.0} and on in {@code target/micro}, as Java's file handler does.
     */
    static String microLog() throws IOException {
        Path work = Path.of(required("pgtier.work"));
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> !logFiles(work).isEmpty());
        StringBuilder all = new StringBuilder();
        for (Path file : logFiles(work)) {
            all.append(Files.readString(file));
        }
        return all.toString();
    }

    /** Deletes Micro's log files of earlier test classes, before this class's Micro starts. */
    static void deleteMicroLog() throws IOException {
        Path work = Files.createDirectories(Path.of(required("pgtier.work")));
        for (Path old : logFiles(work)) {
            Files.delete(old);
        }
    }

    private static List<Path> logFiles(Path work) throws IOException {
        try (var files = Files.list(work)) {
            return files.filter(f -> f.getFileName().toString().startsWith("server.log")).sorted().toList();
        }
    }

    private static URI resolve(URL base, String path) {
        String root = base.toString().endsWith("/") ? base.toString() : base + "/";
        return URI.create(path.startsWith("/") ? base.getProtocol() + "://" + base.getHost() + ":" + base.getPort() + path
                : root + path);
    }

    private static HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            return HTTP.send(request.timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String required(String property) {
        String value = System.getProperty(property);
        if (value == null) {
            throw new IllegalStateException("system property " + property + " is not set: run the tests with Maven (failsafe sets it)");
        }
        return value;
    }
}
