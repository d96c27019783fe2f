package io.pgtier.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.pgtier.api.BreakerState;
import io.pgtier.api.TierId;
import io.pgtier.api.TierState;
import io.pgtier.api.TierStatus;
import io.pgtier.api.TieredConnection;
import io.pgtier.harness.PgHarness;
import io.pgtier.harness.PgServer;
import io.pgtier.harness.TestCa;
import io.pgtier.pg.TierProbe;
import io.pgtier.ra.HealthMonitor;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * TLS per tier against real servers with certificates a test CA made: {@code verify-full} works
 * for the pool's sessions and its probe; a certificate from another CA, for another host name, or
 * expired is refused with its reason, as configuration (the tier is not marked down, its breaker
 * stays closed, the next tier serves); {@code require} against a server without TLS fails at once;
 * a client certificate signs on where the server asks for one.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TlsTest {

    private PgHarness harness;
    private TestCa ca;
    private TestCa otherCa;
    private PgServer tls;
    private PgServer expired;
    private PgServer plain;

    @BeforeAll
    void start() {
        harness = PgHarness.create();
        ca = TestCa.create(harness.folder().resolve("tls"), "main");
        otherCa = TestCa.create(harness.folder().resolve("tls"), "other");
        // Its certificate names 127.0.0.1 only: "localhost" in a URL is a host name it does not carry.
        tls = harness.startPrimary("tls", "log_connections = on");
        tls.enableTls(ca.server("tls-server", false, "127.0.0.1"), ca.rootCert());
        tls.requireClientCertificates("certuser");
        expired = harness.startPrimary("tls-expired");
        expired.enableTls(ca.server("expired-server", true, "127.0.0.1"), null);
        plain = harness.startPrimary("plain");
    }

    @AfterAll
    void stop() {
        harness.close();
    }

    @Test
    @DisplayName("verify-full: the pool's session and its tier's probe both use TLS (pg_stat_ssl, the server's log)")
    void verifyFull() throws Exception {
        try (TestPool pool = pool("tls-full", tls.jdbcUrl(), null, f -> {
            f.setSslMode("verify-full");
            f.setSslRootCert(ca.rootCert().toString());
        }); Connection c = pool.connection()) {
            assertThat(sslOfSessions(tls, "pgtier-tls-full")).as("the pool's sessions, in pg_stat_ssl").isEqualTo("t");

            new TierProbe(pool.factory.runtime().tiers().get(0).endpoint(), 5, "pgtier-monitor").probe();

            assertThat(tls.log().lines().filter(l -> l.contains("application_name=pgtier-monitor")))
                    .as("the probe's session, as the server logged it").isNotEmpty()
                    .allMatch(l -> l.contains("SSL enabled"));
        }
    }

    @Test
    @DisplayName("a certificate from another CA is refused, naming pool, tier and reason, and fails at once; it is configuration, not an outage")
    void unknownCa() throws Exception {
        try (TestPool pool = pool("tls-other-ca", tls.jdbcUrl(), null, f -> {
            f.setSslMode("verify-full");
            f.setSslRootCert(otherCa.rootCert().toString());
        })) {
            long start = System.nanoTime();
            SQLException refused = catchThrowableOfType(SQLException.class, pool::connection);
            long tookMillis = (System.nanoTime() - start) / 1_000_000;

            assertThat(refused.getMessage()).contains("pgtier[tls-other-ca]", "primary", "TLS refused (unknown CA");
            assertThat(tookMillis).as("waiting cannot help: no ride-through").isLessThan(5_000);
            TierStatus primary = pool.dataSource.status().tiers().get(0);
            assertThat(primary.state()).as("not held against the server").isNotEqualTo(TierState.DOWN);
            assertThat(primary.breaker()).isEqualTo(BreakerState.CLOSED);
        }
    }

    @Test
    @DisplayName("with a healthy next tier, a tier whose certificate does not verify is passed over: the backup serves")
    void refusedTierPassedOver() throws Exception {
        try (TestPool pool = pool("tls-passed-over", tls.jdbcUrl(), plain.jdbcUrl(), f -> {
            f.setSslMode("verify-full");
            f.setSslRootCert(otherCa.rootCert().toString());
            f.setBackupSslMode("disable");
        }); Connection c = pool.connection()) {
            assertThat(c.unwrap(TieredConnection.class).tier()).isEqualTo(TierId.BACKUP);
            assertThat(pool.dataSource.status().tiers().get(0).breaker()).isEqualTo(BreakerState.CLOSED);
        }
    }

    @Test
    @DisplayName("a host name the certificate does not carry is refused: wrong host name")
    void wrongHostName() throws Exception {
        String byName = tls.jdbcUrl().replace("127.0.0.1", "localhost");
        try (TestPool pool = pool("tls-wrong-host", byName, null, f -> {
            f.setSslMode("verify-full");
            f.setSslRootCert(ca.rootCert().toString());
        })) {
            SQLException refused = catchThrowableOfType(SQLException.class, pool::connection);

            assertThat(refused.getMessage()).contains("pgtier[tls-wrong-host]", "primary", "TLS refused (wrong host name");
        }
    }

    @Test
    @DisplayName("an expired server certificate is refused: expired")
    void expiredCertificate() throws Exception {
        try (TestPool pool = pool("tls-expired", expired.jdbcUrl(), null, f -> {
            f.setSslMode("verify-full");
            f.setSslRootCert(ca.rootCert().toString());
        })) {
            SQLException refused = catchThrowableOfType(SQLException.class, pool::connection);

            assertThat(refused.getMessage()).contains("pgtier[tls-expired]", "TLS refused (expired");
        }
    }

    @Test
    @DisplayName("require against a server without TLS fails at once and says so")
    void requireWithoutTls() throws Exception {
        try (TestPool pool = pool("tls-require", plain.jdbcUrl(), null, f -> f.setSslMode("require"))) {
            long start = System.nanoTime();
            SQLException refused = catchThrowableOfType(SQLException.class, pool::connection);

            assertThat(refused.getMessage()).contains("pgtier[tls-require]", "primary", "TLS refused (no TLS");
            assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(5_000);
        }
    }

    @Test
    @DisplayName("a client certificate signs on where the server requires one (cert authentication)")
    void clientCertificate() throws Exception {
        TestCa.Issued client = ca.client("certuser", "certuser");
        try (TestPool pool = pool("tls-client-cert", tls.jdbcUrl(), null, f -> {
            f.setUser("certuser");
            f.setPassword("");
            f.setSslMode("verify-full");
            f.setSslRootCert(ca.rootCert().toString());
            f.setSslCert(client.cert().toString());
            f.setSslKey(client.keyDer().toString());
        }); Connection c = pool.connection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT current_user, client_dn FROM pg_stat_ssl WHERE pid = pg_backend_pid()")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo("certuser");
            assertThat(rs.getString(2)).isEqualTo("/CN=certuser");
        }
    }

    @Test
    @DisplayName("a bean blocked on a TLS session through a hung route gets its error when the monitor declares the tier down")
    void hungTlsRouteAbortsBlockedBean() throws Exception {
        io.pgtier.harness.FaultProxy primaryRoute = harness.proxy("tls-hang-primary", tls);
        io.pgtier.harness.FaultProxy backupRoute = harness.proxy("tls-hang-backup", tls);
        java.util.concurrent.ExecutorService work = java.util.concurrent.Executors.newCachedThreadPool();
        try (TestPool pool = pool("tls-hang", primaryRoute.jdbcUrl(), backupRoute.jdbcUrl(), f -> {
            f.setSslMode("verify-full");
            f.setSslRootCert(ca.rootCert().toString());
        })) {
            HealthMonitor monitor = new HealthMonitor(pool.adapter.tiers(), work, 1, 2, pool.factory.runtime());
            monitor.round();
            // Both tiers known WRITABLE, so the backup can take the work and the down verdict ends the blocked session.
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(20)).until(() -> pool.factory.runtime().tiers()
                    .stream().allMatch(t -> t.role() == io.pgtier.api.Role.WRITABLE));
            Connection blocked = pool.connection();
            java.util.concurrent.CompletableFuture<Long> bean = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                long start = System.nanoTime();
                try (Statement s = blocked.createStatement()) {
                    s.execute("SELECT pg_sleep(20)");
                } catch (SQLException expected) {
                    // ended by the down verdict
                }
                return (System.nanoTime() - start) / 1_000_000;
            }, work);
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() -> sleepingSessions(tls) == 1);

            primaryRoute.blackhole();
            monitor.round();

            assertThat(bean.get(30, java.util.concurrent.TimeUnit.SECONDS)).as("ms the blocked call took: the detection"
                    + " budget (2 probes x 1 s), not the statement's 20 s or socketTimeout (10 s)").isLessThan(6_000);
        } finally {
            primaryRoute.pass();
            work.shutdownNow();
        }
    }

    @Test
    @DisplayName("an idle TLS session through a hung route is ended at once: closing it does not wait socketTimeout for the server")
    void idleTlsSessionOnHungRouteEndsAtOnce() throws Exception {
        io.pgtier.harness.FaultProxy primaryRoute = harness.proxy("tls-idle-primary", tls);
        io.pgtier.harness.FaultProxy backupRoute = harness.proxy("tls-idle-backup", tls);
        try (TestPool pool = pool("tls-idle", primaryRoute.jdbcUrl(), backupRoute.jdbcUrl(), f -> {
            f.setSslMode("verify-full");
            f.setSslRootCert(ca.rootCert().toString());
        })) {
            HealthMonitor monitor = new HealthMonitor(pool.adapter.tiers(), Runnable::run, 1, 2, pool.factory.runtime());
            monitor.round();
            pool.connection().close(); // idle in the pool now, on the primary route

            primaryRoute.blackhole();
            long start = System.nanoTime();
            monitor.round(); // probes on this thread: two timed-out probes, the down verdict, its sessions ended
            long tookMillis = (System.nanoTime() - start) / 1_000_000;

            assertThat(pool.dataSource.status().tiers().get(0).state()).isEqualTo(TierState.DOWN);
            assertThat(tookMillis).as("ms the verdict took: 2 probes x 1 s, not plus socketTimeout (10 s) for the JDK's TLS"
                    + " close, which reads what the server has left to send").isLessThan(6_000);
        } finally {
            primaryRoute.pass();
        }
    }

    private TestPool pool(String name, String primary, String backup, Consumer<PgTierManagedConnectionFactory> tls)
            throws Exception {
        PgTierManagedConnectionFactory f = TestPool.factory(name, "READ_WRITE", primary, backup, null);
        f.setRideThroughMillis(2_000);
        tls.accept(f);
        return TestPool.start(f);
    }

    /** Sessions of pgtier pools on {@code server} running the test's {@code pg_sleep} now. */
    private static int sleepingSessions(PgServer server) throws SQLException {
        try (Connection c = server.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE state = 'active'"
                     + " AND application_name LIKE 'pgtier-%' AND query LIKE 'SELECT pg_sleep%'")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    /** Whether every session of {@code application} on {@code server} uses TLS ("t"), as pg_stat_ssl says. */
    private static String sslOfSessions(PgServer server, String application) throws SQLException {
        try (Connection c = server.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT coalesce(bool_and(l.ssl)::text, 'none') FROM pg_stat_ssl l"
                     + " JOIN pg_stat_activity a USING (pid) WHERE a.application_name = '" + application + "'")) {
            rs.next();
            return rs.getString(1).substring(0, 1);
        }
    }
}
