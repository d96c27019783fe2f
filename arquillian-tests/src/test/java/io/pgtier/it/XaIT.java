package io.pgtier.it;

import static io.pgtier.it.MicroApp.get;
import static io.pgtier.it.MicroApp.post;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgtier.harness.PgHarness;
import io.pgtier.harness.PgServer;
import io.pgtier.harness.Replication;
import io.pgtier.it.xa.XaNotesBean;
import java.net.URL;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
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
 * XA in the container: two pgtier {@code XATransaction} pools ({@code server-config/micro/post-boot-xa.asadmin})
 * on two servers, a CMT bean writing through both, and Payara's transaction manager driving the
 * two-phase commit. Then a server lost between prepare and commit, and Payara's recovery resolving
 * the branch left in doubt: through the same server once it is back, and through its standby
 * promoted in its place (prepared transactions travel in WAL). psql is the ground truth: each
 * scenario ends with both servers agreeing and no prepared transaction left.
 */
@ExtendWith(ArquillianExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class XaIT {

    private static PgHarness harness;
    private static PgServer orders;
    private static PgServer billing;
    private static PgServer billingStandby;

    @ArquillianResource
    private URL app;

    @Deployment(testable = false)
    static WebArchive deployment() {
        harness = PgHarness.create();
        orders = harness.startPrimary("orders");
        billing = harness.startPrimary("billing");
        billingStandby = harness.startStandby("billing-standby", billing, Replication.ASYNC);
        for (PgServer server : List.of(orders, billing)) {
            server.execute("CREATE TABLE xa_notes(text text NOT NULL)");
        }
        List<String> xaPools = MicroApp.addOn("post-boot-xa.asadmin", Map.of(
                "PGTIER_PRIMARY_URL", orders.jdbcUrl(), "PGTIER_BACKUP_URL", "", "PGTIER_FAILOVER_URL", "",
                "PGTIER_BILLING_PRIMARY_URL", billing.jdbcUrl(), "PGTIER_BILLING_BACKUP_URL", billingStandby.jdbcUrl(),
                "PGTIER_USER", PgServer.USER));
        MicroApp.writePostBoot(orders.jdbcUrl(), "", "", MicroApp.FAST_MONITOR, xaPools);
        return MicroApp.war().addPackage(XaNotesBean.class.getPackage());
    }

    @AfterAll
    static void stopServers() {
        if (harness != null) {
            harness.close();
        }
    }

    @Test
    @Order(1)
    @DisplayName("a CMT bean writes through two XA pools to two servers: both commit, or both roll back")
    void commitAndRollBackTogether() throws Exception {
        HttpResponse<String> committed = post(app, "api/xa/write?text=xa-both&fail=false");
        HttpResponse<String> failed = post(app, "api/xa/write?text=xa-neither&fail=true");

        assertThat(committed.statusCode()).as(committed.body()).isEqualTo(200);
        assertThat(failed.statusCode()).isEqualTo(500);
        assertThat(rows(orders, "xa-both")).isEqualTo(1);
        assertThat(rows(billing, "xa-both")).isEqualTo(1);
        assertThat(rows(orders, "xa-neither")).isZero();
        assertThat(rows(billing, "xa-neither")).isZero();
        assertThat(prepared(orders) + prepared(billing)).as("no branch left prepared").isZero();
    }

    @Test
    @Order(2)
    @DisplayName("billing stops after both branches are prepared: orders commits; recovery commits billing's branch once it is back")
    void serverLostBetweenPrepareAndCommit() throws Exception {
        // GIVEN both branches prepared, the transaction manager held before its commits
        CompletableFuture<HttpResponse<String>> call = CompletableFuture.supplyAsync(
                () -> post(app, "api/xa/write-paused?text=xa-in-doubt"));
        awaitPaused();
        assertThat(prepared(orders)).isEqualTo(1);
        assertThat(prepared(billing)).isEqualTo(1);

        // WHEN billing goes away, then the commit phase runs
        billing.stop();
        post(app, "api/xa/release");
        HttpResponse<String> outcome = call.get(120, TimeUnit.SECONDS);

        // THEN orders committed, billing's branch waits in doubt, and recovery commits it
        assertThat(outcome.statusCode()).as("the bean's caller learns the commit did not complete: %s", outcome.body())
                .isEqualTo(500);
        assertThat(rows(orders, "xa-in-doubt")).isEqualTo(1);
        billing.start();
        assertThat(prepared(billing)).as("the branch survived the stop, prepared").isEqualTo(1);
        assertThat(rows(billing, "xa-in-doubt")).isZero();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(get(app, "api/xa/in-doubt").body()).as("the adapter's status shows the branch in doubt").isEqualTo("1"));
        assertThat(inDoubtMetric()).as("and the metric").isEqualTo(1.0);

        recoverUntilResolved(billing);

        assertThat(rows(billing, "xa-in-doubt")).as("both servers agree").isEqualTo(1);
        assertThat(prepared(orders)).isZero();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(get(app, "api/xa/in-doubt").body()).isEqualTo("0"));
        assertThat(inDoubtMetric()).isZero();
    }

    @Test
    @Order(3)
    @DisplayName("billing crashes after both branches are prepared and its standby is promoted: recovery commits the branch there")
    void standbyPromotedBetweenPrepareAndCommit() throws Exception {
        CompletableFuture<HttpResponse<String>> call = CompletableFuture.supplyAsync(
                () -> post(app, "api/xa/write-paused?text=xa-promoted"));
        awaitPaused();
        assertThat(prepared(billing)).isEqualTo(1);
        String preparedAt = text(billing, "SELECT pg_current_wal_lsn()::text");
        await().atMost(Duration.ofSeconds(30)).until(() -> "t".equals(text(billingStandby,
                "SELECT pg_last_wal_replay_lsn() >= '" + preparedAt + "'::pg_lsn")));

        billing.crash();
        billingStandby.promote();
        post(app, "api/xa/release");
        HttpResponse<String> outcome = call.get(120, TimeUnit.SECONDS);

        assertThat(outcome.statusCode()).as(outcome.body()).isEqualTo(500);
        assertThat(rows(orders, "xa-promoted")).isEqualTo(1);
        await().atMost(Duration.ofSeconds(30)).until(() -> prepared(billingStandby) == 1);

        recoverUntilResolved(billingStandby);

        assertThat(rows(billingStandby, "xa-promoted")).as("the promoted server agrees with orders").isEqualTo(1);
        assertThat(prepared(orders)).isZero();
    }

    private void awaitPaused() {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                .until(() -> "true".equals(get(app, "api/xa/paused").body()));
    }

    /** {@code recover-transactions}, repeated until the server holds no prepared branch (a tier may still be coming back). */
    private void recoverUntilResolved(PgServer server) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
            HttpResponse<String> r = post(app, "api/xa/recover");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(prepared(server)).as("prepared branches after recovery said: %s", r.body()).isZero();
        });
    }

    /** pgtier_xa_in_doubt of the billing pool's primary tier, from /metrics. */
    private double inDoubtMetric() {
        HttpResponse<String> metrics = get(app, "/metrics?scope=application");
        assertThat(metrics.statusCode()).isEqualTo(200);
        return metrics.body().lines()
                .filter(l -> l.startsWith("pgtier_xa_in_doubt{") && l.contains("pool=\"pgtier-billing-xa\"")
                        && l.contains("tier=\"primary\""))
                .map(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .findFirst().orElseThrow(() -> new AssertionError("no pgtier_xa_in_doubt for pgtier-billing-xa in:\n"
                        + metrics.body()));
    }

    private static long rows(PgServer server, String text) throws SQLException {
        return Long.parseLong(text(server, "SELECT count(*) FROM xa_notes WHERE text = '" + text + "'"));
    }

    private static int prepared(PgServer server) throws SQLException {
        return Integer.parseInt(text(server, "SELECT count(*) FROM pg_prepared_xacts"));
    }

    private static String text(PgServer server, String sql) throws SQLException {
        try (Connection c = server.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
