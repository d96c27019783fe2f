package io.pgtier.it;

import static io.pgtier.it.MicroApp.get;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgtier.harness.FaultProxy;
import io.pgtier.harness.PgHarness;
import io.pgtier.harness.PgServer;
import io.pgtier.harness.TestCa;
import java.net.URL;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
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
 * Both pools of the application with {@code sslMode=verify-full} in Payara Micro, against a server
 * whose certificate the harness's test CA made: every session pgtier opens uses TLS (the pools' in
 * {@code pg_stat_ssl}, the monitor's in the server's log), work is served, and a hung route to
 * the primary still fails over to the backup route with TLS.
 */
@ExtendWith(ArquillianExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TlsIT {

    private static PgHarness harness;
    private static PgServer server;
    private static FaultProxy primaryRoute;

    @ArquillianResource
    private URL app;

    @Deployment(testable = false)
    static WebArchive deployment() {
        harness = PgHarness.create();
        TestCa ca = TestCa.create(harness.folder().resolve("tls"), "it");
        server = harness.startPrimary("tls-it", "log_connections = on");
        server.enableTls(ca.server("tls-it-server", false, "127.0.0.1"), null);
        primaryRoute = harness.proxy("tls-primary-route", server);
        FaultProxy backupRoute = harness.proxy("tls-backup-route", server);
        MicroApp.writePostBoot(primaryRoute.jdbcUrl(), backupRoute.jdbcUrl(), "",
                MicroApp.FAST_POOLS + ":sslMode=verify-full:sslRootCert=" + MicroApp.escape(ca.rootCert().toString()),
                MicroApp.FAST_MONITOR, List.of());
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
    @DisplayName("verify-full: work is served, every pool session uses TLS (pg_stat_ssl) and so does every probe (the server's log)")
    void everySessionUsesTls() throws SQLException {
        await().atMost(Duration.ofSeconds(30)).until(() -> get(app, "/health/ready").statusCode() == 200);
        for (int i = 0; i < 5; i++) {
            HttpResponse<String> r = MicroApp.post(app, "api/examples/notes?text=tls");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        }
        assertThat(get(app, "api/examples/notes/count-readonly?text=tls").statusCode()).isEqualTo(200);

        assertThat(pgtierSessions("true")).as("pool sessions with TLS").isPositive();
        assertThat(pgtierSessions("false")).as("pool sessions without TLS").isZero();
        List<String> probes = server.log().lines().filter(l -> l.contains("application_name=pgtier-monitor")).toList();
        assertThat(probes).as("the monitor's sessions, as the server logged them").isNotEmpty()
                .allMatch(l -> l.contains("SSL enabled"));
    }

    @Test
    @Order(2)
    @DisplayName("a hung primary route: new work goes to the backup route, with TLS")
    void failsOverWithTls() throws SQLException {
        primaryRoute.blackhole();
        try {
            await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> {
                long start = System.nanoTime();
                HttpResponse<String> r = MicroApp.post(app, "api/examples/notes?text=tls-failover");
                System.out.println("TlsIT: a call during the hang: " + r.statusCode() + " after "
                        + (System.nanoTime() - start) / 1_000_000 + " ms");
                assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
                assertThat(get(app, "api/status").body()).contains("PGT-305");
            });
        } finally {
            primaryRoute.pass();
        }
        assertThat(pgtierSessions("false")).as("pool sessions without TLS").isZero();
    }

    /** pgtier's pool sessions on the server whose {@code pg_stat_ssl.ssl} is {@code ssl}. */
    private static int pgtierSessions(String ssl) throws SQLException {
        try (Connection c = server.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_stat_ssl l JOIN pg_stat_activity a USING (pid)"
                     + " WHERE a.application_name LIKE 'pgtier-pgtier-%' AND l.ssl = " + ssl)) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
