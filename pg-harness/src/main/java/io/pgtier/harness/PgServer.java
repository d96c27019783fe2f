package io.pgtier.harness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.postgresql.Driver;

/**
 * One real PostgreSQL server started by a {@link PgHarness}, with the faults a test needs.
 *
 * <p>Its data folder is private to the harness and removed with it. Every fault is a named method:
 * {@link #crash()} (immediate shutdown: clients see their connections reset and new ones refused),
 * {@link #hang()} / {@link #resume()} (SIGSTOP / SIGCONT of the postmaster <em>and</em> every backend,
 * because stopping the postmaster alone hangs only new connections), {@link #stop()}, {@link #start()},
 * {@link #restart()}, {@link #promote()} and {@link #makeReadOnly()}.
 */
public final class PgServer {

    /** The superuser every harness server has; its password is {@link PgHarness#PASSWORD}. */
    public static final String USER = "postgres";
    public static final String DATABASE = "postgres";

    private static final Duration PG_CTL_TIMEOUT = Duration.ofSeconds(90);

    private final String name;
    private final Path folder;
    private final int port;
    private final PgBinaries binaries;
    private final Exec exec;
    private volatile boolean running;
    private volatile boolean hung;
    private volatile boolean tlsOnly;

    PgServer(String name, Path folder, int port, PgBinaries binaries, Exec exec) {
        this.name = name;
        this.folder = folder;
        this.port = port;
        this.binaries = binaries;
        this.exec = exec;
    }

    public String name() {
        return name;
    }

    public int port() {
        return port;
    }

    public String host() {
        return "127.0.0.1";
    }

    /** {@code jdbc:postgresql://127.0.0.1:PORT/postgres}, without credentials. */
    public String jdbcUrl() {
        return "jdbc:postgresql://" + host() + ":" + port + "/" + DATABASE;
    }

    public boolean isRunning() {
        return running;
    }

    public boolean isHung() {
        return hung;
    }

    Path dataDir() {
        return folder.resolve("data");
    }

    Path logFile() {
        return folder.resolve("postgres.log");
    }

    /** What the server has logged so far (with {@code log_connections = on}, every session and whether it used TLS). */
    public String log() {
        try {
            return Files.readString(logFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Opens a plain pgjdbc connection as the superuser, with short timeouts so a broken server fails fast. */
    public Connection connect() throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", USER);
        p.setProperty("password", PgHarness.PASSWORD);
        p.setProperty("connectTimeout", "5");
        p.setProperty("loginTimeout", "10");
        p.setProperty("socketTimeout", "30");
        p.setProperty("ApplicationName", "pg-harness");
        if (tlsOnly) {
            p.setProperty("sslmode", "require");
        }
        return new Driver().connect(jdbcUrl(), p);
    }

    /** The first column of the first row of {@code sql}, run on a fresh connection (for checking tests). */
    public long queryLong(String sql) {
        try (Connection c = connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            if (!rs.next()) {
                throw new IllegalStateException(name + ": " + sql + ": no row");
            }
            return rs.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException(name + ": " + sql + ": " + e.getMessage(), e);
        }
    }

    /** Runs one statement on a fresh connection (a convenience for setting up and checking tests). */
    public void execute(String sql) {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            s.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(name + ": " + sql + " failed: " + e.getMessage(), e);
        }
    }

    public synchronized void start() {
        try {
            pgCtl("start", "-w", "-t", String.valueOf(PG_CTL_TIMEOUT.toSeconds() - 5), "-l", logFile().toString());
        } catch (IllegalStateException e) {
            throw new IllegalStateException(name + " did not start; the end of its log:\n" + logTail(), e);
        }
        running = true;
    }

    private String logTail() {
        try {
            List<String> lines = Files.readAllLines(logFile());
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** A clean, fast shutdown: sessions are ended, the data is checkpointed. */
    public synchronized void stop() {
        resumeIfHung();
        pgCtl("stop", "-w", "-m", "fast");
        running = false;
    }

    /** An immediate shutdown, as a crash: no checkpoint, clients' connections are reset, new ones refused. */
    public synchronized void crash() {
        resumeIfHung();
        pgCtl("stop", "-w", "-m", "immediate");
        running = false;
    }

    public synchronized void restart() {
        if (running) {
            stop();
        }
        start();
    }

    /**
     * Freezes the whole server: the postmaster and all its children get SIGSTOP. Established
     * connections stop answering, new ones are accepted by the kernel but never served.
     */
    public synchronized void hang() {
        signalAll("STOP");
        hung = true;
    }

    public synchronized void resume() {
        signalAll("CONT");
        hung = false;
    }

    /**
     * Freezes the postmaster alone (SIGSTOP): new connections are accepted by the kernel but never
     * served, while the backends already serving a session keep answering — a server that refuses
     * new sessions while its existing ones work. {@link #resumePostmaster()} undoes it.
     */
    public synchronized void hangPostmaster() {
        signalPostmaster("STOP");
    }

    public synchronized void resumePostmaster() {
        signalPostmaster("CONT");
    }

    private void signalPostmaster(String signal) {
        long pid = pid();
        if (pid <= 0) {
            throw new IllegalStateException(name + " is not running");
        }
        exec.asSelf(Duration.ofSeconds(10), "kill", "-" + signal, String.valueOf(pid));
    }

    /** Promotes a standby to a writable primary and waits until it is. */
    public synchronized void promote() {
        pgCtl("promote", "-w", "-t", "60");
    }

    /** Turns every new transaction read-only (writes then fail with SQLSTATE 25006), as a demoted server. */
    public void makeReadOnly() {
        execute("ALTER SYSTEM SET default_transaction_read_only = on");
        execute("SELECT pg_reload_conf()");
        awaitSetting("default_transaction_read_only", "on");
    }

    /** Undoes {@link #makeReadOnly()}. */
    public void makeWritable() {
        execute("ALTER SYSTEM RESET default_transaction_read_only");
        execute("SELECT pg_reload_conf()");
        awaitSetting("default_transaction_read_only", "off");
    }

    /**
     * {@code pg_reload_conf()} only signals the postmaster: until a new session sees the value, the
     * postmaster has not re-read its configuration nor passed the signal on to open sessions.
     */
    private void awaitSetting(String setting, String value) {
        Poll.until(name + ": " + setting + " = " + value, Duration.ofSeconds(30), () -> {
            try (Connection c = connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SHOW " + setting)) {
                rs.next();
                return value.equals(rs.getString(1)) ? java.util.Optional.empty() : java.util.Optional.of(rs.getString(1));
            } catch (SQLException e) {
                return java.util.Optional.of(e.getMessage());
            }
        });
    }

    /** The postmaster's process id, from {@code postmaster.pid}; -1 when the server is not running. */
    public long pid() {
        Path pidFile = dataDir().resolve("postmaster.pid");
        try {
            if (!Files.exists(pidFile)) {
                return -1;
            }
            return Long.parseLong(Files.readAllLines(pidFile).get(0).trim());
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /**
     * Turns TLS on with {@code certificate} (a {@link TestCa} server certificate), at once (a
     * reload). With {@code clientCa}, client certificates are checked against it, and
     * {@link #requireClientCertificates(String)} makes them the only way in over TCP for one user.
     */
    public synchronized void enableTls(TestCa.Issued certificate, Path clientCa) {
        installTls(certificate, clientCa);
        execute("SELECT pg_reload_conf()");
    }

    /** Whether this server refuses sessions without TLS (a harness started with {@link PgHarness#TLS_PROPERTY}). */
    public boolean tlsOnly() {
        return tlsOnly;
    }

    /** {@link #enableTls}'s files and settings, taking effect at the next start or reload. */
    void installTls(TestCa.Issued certificate, Path clientCa) {
        try {
            Files.copy(certificate.cert(), dataDir().resolve("server.crt"), StandardCopyOption.REPLACE_EXISTING);
            Files.copy(certificate.key(), dataDir().resolve("server.key"), StandardCopyOption.REPLACE_EXISTING);
            if (clientCa != null) {
                Files.copy(clientCa, dataDir().resolve("client-ca.crt"), StandardCopyOption.REPLACE_EXISTING);
            }
            Files.setPosixFilePermissions(dataDir().resolve("server.key"), PosixFilePermissions.fromString("rw-------"));
            for (String file : new String[] {"server.crt", "server.key", "client-ca.crt"}) {
                if (Files.exists(dataDir().resolve(file))) {
                    exec.handToServerUser(dataDir().resolve(file));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        appendConfig(String.join("\n", "ssl = on", "ssl_cert_file = 'server.crt'", "ssl_key_file = 'server.key'",
                clientCa == null ? "" : "ssl_ca_file = 'client-ca.crt'"));
    }

    /**
     * Refuses every session without TLS over TCP ({@code hostnossl ... reject} ahead of the other
     * rules; replication is not covered by {@code all}, so standbys stream as before), from the next
     * start or reload; {@link #connect()} then asks for TLS.
     */
    void refusePlainSessions() {
        try {
            Path hba = dataDir().resolve("pg_hba.conf");
            Files.writeString(hba, "hostnossl all all 0.0.0.0/0 reject\n" + Files.readString(hba));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        tlsOnly = true;
    }

    /** A standby made from a copy of {@code primary}'s folder has its TLS files and rules too. */
    void copiedFrom(PgServer primary) {
        tlsOnly = primary.tlsOnly;
    }

    /**
     * Makes login role {@code user} (no password), which over TCP gets in only with a client
     * certificate for it (signed by the client CA of {@link #enableTls}); other users are unchanged.
     */
    public synchronized void requireClientCertificates(String user) {
        execute("CREATE ROLE " + user + " LOGIN SUPERUSER");
        try {
            Path hba = dataDir().resolve("pg_hba.conf");
            Files.writeString(hba, "hostssl all " + user + " 127.0.0.1/32 cert\nhost all " + user + " 127.0.0.1/32 reject\n"
                    + Files.readString(hba));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        execute("SELECT pg_reload_conf()");
    }

    /** Adds settings to {@code postgresql.conf} (later lines win); they take effect at the next start or reload. */
    public void configure(String... lines) {
        appendConfig(String.join("\n", lines));
    }

    void appendConfig(String lines) {
        try {
            Files.writeString(dataDir().resolve("postgresql.conf"), "\n" + lines + "\n", StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Stops whatever is left, for the harness's close and shutdown hook; never throws. */
    void stopQuietly() {
        try {
            if (pid() > 0) {
                resumeIfHung();
                pgCtl("stop", "-w", "-m", "immediate");
            }
        } catch (RuntimeException e) {
            System.err.println("[pg-harness] " + name + ": could not stop: " + e.getMessage());
        }
        running = false;
    }

    private void resumeIfHung() {
        if (hung) {
            resume();
        }
    }

    private void signalAll(String signal) {
        long pid = pid();
        if (pid <= 0) {
            throw new IllegalStateException(name + " is not running");
        }
        List<String> command = new ArrayList<>(List.of("kill", "-" + signal, String.valueOf(pid)));
        ProcessHandle.of(pid).ifPresent(h -> h.descendants().forEach(d -> command.add(String.valueOf(d.pid()))));
        try {
            exec.asSelf(Duration.ofSeconds(10), command.toArray(String[]::new));
        } catch (IllegalStateException e) {
            // A backend that ended between listing and signalling is fine; anything else is not.
            if (!e.getMessage().contains("No such process") || !ProcessHandle.of(pid).isPresent()) {
                throw e;
            }
        }
    }

    private void pgCtl(String... args) {
        List<String> command = new ArrayList<>(List.of(binaries.bin("pg_ctl").toString(), "-D", dataDir().toString()));
        command.addAll(List.of(args));
        exec.asServerUser(PG_CTL_TIMEOUT, command.toArray(String[]::new));
    }

    @Override
    public String toString() {
        return name + "@" + port;
    }
}
