package io.pgtier.harness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Real PostgreSQL servers on free loopback ports, for tests, benchmarks and the run command:
 * independent servers, streaming standbys (synchronous or not), and fault proxies in front of them.
 *
 * <p>Everything a harness starts lives under one private folder and ends with it: {@link #close()}
 * stops every server and proxy and removes the folder; a JVM shutdown hook does the same when a test
 * fails or the JVM is interrupted; and a detached watchdog process does it if the JVM is killed
 * outright, so nothing is ever left listening. Servers run as {@code nobody} when the JVM is root
 * (PostgreSQL refuses root), otherwise as the current user.
 *
 * <p>A standby is made the way the binaries allow (they have no {@code pg_basebackup}): the primary
 * is stopped cleanly, its data folder copied, and the copy started with {@code standby.signal} and a
 * {@code primary_conninfo}. Every server allows prepared transactions (XA needs them).
 */
public final class PgHarness implements AutoCloseable {

    /**
     * The system property that starts every server of every harness in this JVM with TLS on and
     * sessions without TLS refused: a folder for the test CA (one per JVM), whose root certificate
     * {@link #tlsRootCert()} gives clients. So a whole test suite can run once with TLS.
     */
    public static final String TLS_PROPERTY = "pgtier.harness.tls";

    private static TestCa tlsCa;

    /** The password of the {@code postgres} superuser on every harness server. */
    public static final String PASSWORD = "pgtier-harness-pw";

    private static final Duration INITDB_TIMEOUT = Duration.ofSeconds(120);
    private static final Duration STREAMING_TIMEOUT = Duration.ofSeconds(60);

    private final Exec exec = new Exec();
    private final Path root;
    private final PgBinaries binaries;
    private final List<PgServer> servers = new CopyOnWriteArrayList<>();
    private final List<FaultProxy> proxies = new CopyOnWriteArrayList<>();
    private final List<String> syncStandbys = new ArrayList<>();
    private final Thread shutdownHook;
    private final Process watchdog;
    private volatile boolean closed;

    private PgHarness(Path base) throws IOException {
        this.binaries = PgBinaries.unpackInto(base);
        this.root = Files.createTempDirectory(base, "pgtier-harness-" + ProcessHandle.current().pid() + "-");
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
        this.shutdownHook = new Thread(this::cleanUp, "pg-harness-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
        this.watchdog = startWatchdog();
    }

    /**
     * A new harness whose folders are under {@code /tmp} (or the system property
     * {@code pgtier.harness.base}): a folder the unprivileged server user can reach, which a build
     * folder under {@code /root} is not.
     */
    public static PgHarness create() {
        Path base = Path.of(System.getProperty("pgtier.harness.base", "/tmp"));
        try {
            return new PgHarness(base);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the harness folder under " + base, e);
        }
    }

    /**
     * The root certificate clients verify servers with ({@code sslrootcert}) when {@link #TLS_PROPERTY}
     * is set; empty otherwise.
     */
    public static Optional<Path> tlsRootCert() {
        return Optional.ofNullable(sharedCa()).map(TestCa::rootCert);
    }

    private static synchronized TestCa sharedCa() {
        String folder = System.getProperty(TLS_PROPERTY, "");
        if (tlsCa == null && !folder.isBlank()) {
            tlsCa = TestCa.create(Path.of(folder), "harness");
        }
        return tlsCa;
    }

    /** Whether servers run as {@code nobody} because this JVM is root. */
    public boolean runsServersAsNobody() {
        return exec.runsAsRoot();
    }

    public String postgresVersion() {
        return binaries.version();
    }

    /**
     * Starts an independent writable server. Extra lines go to its {@code postgresql.conf}
     * (later lines win), e.g. {@code "max_connections = 20"}.
     */
    public synchronized PgServer startPrimary(String name, String... extraConfig) {
        PgServer server = newServer(name);
        Path pwfile = server.dataDir().resolveSibling("pwfile");
        try {
            Files.writeString(pwfile, PASSWORD + "\n");
            exec.handToServerUser(pwfile.getParent());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        exec.asServerUser(INITDB_TIMEOUT, binaries.bin("initdb").toString(),
                "-D", server.dataDir().toString(), "-U", PgServer.USER, "--pwfile=" + pwfile,
                "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C", "-N");
        server.appendConfig(String.join("\n",
                "# pg-harness",
                "listen_addresses = '127.0.0.1'",
                "port = " + server.port(),
                "unix_socket_directories = ''",
                "max_connections = 100",
                "shared_buffers = 16MB",
                // Faults here stop processes, never the machine: fsync buys nothing and costs seconds.
                "fsync = off",
                "max_prepared_transactions = 20",
                "wal_level = replica",
                "max_wal_senders = 10",
                "wal_keep_size = 128MB",
                "hot_standby = on",
                "log_min_messages = warning",
                String.join("\n", extraConfig)));
        TestCa ca = sharedCa();
        if (ca != null) {
            server.installTls(ca.server(root.getFileName() + "-" + name, false, "127.0.0.1", "localhost"), null);
            server.refusePlainSessions();
        }
        server.start();
        return server;
    }

    /**
     * Makes a streaming standby of {@code primary} and waits until it streams. The primary is
     * stopped for a moment (a cold copy of its folder) and started again.
     */
    public synchronized PgServer startStandby(String name, PgServer primary, Replication replication) {
        PgServer standby = newServer(name);
        primary.stop();
        exec.asServerUser(Duration.ofSeconds(120), "cp", "-a", primary.dataDir().toString(), standby.dataDir().toString());
        standby.copiedFrom(primary);
        try {
            Files.deleteIfExists(standby.dataDir().resolve("postmaster.pid"));
            Files.writeString(standby.dataDir().resolve("standby.signal"), "");
            exec.handToServerUser(standby.dataDir().resolve("standby.signal"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        standby.appendConfig(String.join("\n",
                "# pg-harness standby of " + primary.name(),
                "port = " + standby.port(),
                "primary_conninfo = 'host=127.0.0.1 port=" + primary.port() + " user=" + PgServer.USER
                        + " password=" + PASSWORD + " application_name=" + name + "'",
                // A standby of a primary that was itself made read-only must still start as a standby.
                "default_transaction_read_only = off"));
        if (replication == Replication.SYNC) {
            syncStandbys.add(name);
            // Names are quoted: an application name like "sync-standby" is not a bare identifier.
            primary.appendConfig("synchronous_standby_names = 'FIRST 1 (" + syncStandbys.stream()
                    .map(n -> "\"" + n + "\"").collect(java.util.stream.Collectors.joining(", ")) + ")'");
        }
        primary.start();
        standby.start();
        awaitStreaming(primary, name);
        return standby;
    }

    /** A fault proxy in front of {@code server}, in {@link FaultProxy.Mode#PASS} mode. */
    public FaultProxy proxy(String name, PgServer server) {
        try {
            FaultProxy proxy = new FaultProxy(name, server.port());
            proxies.add(proxy);
            return proxy;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open proxy " + name, e);
        }
    }

    public List<PgServer> servers() {
        return List.copyOf(servers);
    }

    /** The folder the harness works in (removed on close). */
    public Path folder() {
        return root;
    }

    @Override
    public void close() {
        cleanUp();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException alreadyShuttingDown) {
            // the hook is running or ran: nothing to remove
        }
    }

    private synchronized void cleanUp() {
        if (closed) {
            return;
        }
        closed = true;
        proxies.forEach(FaultProxy::close);
        servers.forEach(PgServer::stopQuietly);
        Folders.deleteQuietly(root);
        watchdog.destroy();
    }

    private PgServer newServer(String name) {
        if (closed) {
            throw new IllegalStateException("harness is closed");
        }
        if (servers.stream().anyMatch(s -> s.name().equals(name))) {
            throw new IllegalArgumentException("a server named " + name + " exists already");
        }
        Path folder = root.resolve(name);
        try {
            Files.createDirectories(folder);
            exec.handToServerUser(folder);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        PgServer server = new PgServer(name, folder, freePort(), binaries, exec);
        servers.add(server);
        return server;
    }

    private static void awaitStreaming(PgServer primary, String standbyName) {
        Poll.until(standbyName + " streaming from " + primary.name(), STREAMING_TIMEOUT, () -> {
            try (Connection c = primary.connect(); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT state FROM pg_stat_replication WHERE application_name = '"
                         + standbyName + "'")) {
                String state = rs.next() ? rs.getString(1) : "no row in pg_stat_replication";
                return "streaming".equals(state) ? java.util.Optional.empty() : java.util.Optional.of(state);
            } catch (SQLException e) {
                return java.util.Optional.of(e.getMessage());
            }
        });
    }

    /** A detached shell that cleans up after this JVM if it dies without running its shutdown hook. */
    private Process startWatchdog() throws IOException {
        String runAs = exec.runsAsRoot() ? "runuser -u " + Exec.UNPRIVILEGED_USER + " -- " : "";
        String script = String.join("\n",
                "while [ -d /proc/" + ProcessHandle.current().pid() + " ]; do sleep 1; done",
                "for f in '" + root + "'/*/data/postmaster.pid; do",
                "  [ -f \"$f\" ] || continue",
                "  pid=$(head -n 1 \"$f\")",
                "  kill -CONT \"$pid\" 2>/dev/null; pkill -CONT -P \"$pid\" 2>/dev/null",
                "  " + runAs + "'" + binaries.bin("pg_ctl") + "' -D \"$(dirname \"$f\")\" stop -m immediate -w >/dev/null 2>&1"
                        + " || kill -KILL \"$pid\" 2>/dev/null",
                "done",
                "rm -rf '" + root + "'");
        return new ProcessBuilder("setsid", "sh", "-c", script)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free loopback port", e);
        }
    }
}
