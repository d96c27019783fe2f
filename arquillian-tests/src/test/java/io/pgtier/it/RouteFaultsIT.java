package io.pgtier.it;

import static io.pgtier.it.MicroApp.sessions;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgtier.harness.FaultProxy;
import io.pgtier.harness.PgHarness;
import io.pgtier.harness.PgServer;
import java.net.URL;
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
 * Tiers that are routes to one server (the original system's case: the database directly, through
 * a proxy, a second path): the primary route is black-holed, and separately reset, while the
 * server itself is fine. Transfers continue on the backup route; the bank's invariants hold.
 */
@ExtendWith(ArquillianExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RouteFaultsIT {

    private static final int CALLERS = 8;

    private static PgHarness harness;
    private static PgServer server;
    private static FaultProxy primaryRoute;
    private static FaultProxy backupRoute;
    private static FaultProxy failoverRoute;

    @ArquillianResource
    private URL app;

    @Deployment(testable = false)
    static WebArchive deployment() {
        harness = PgHarness.create();
        // A client cut off by a partition leaves its transaction open on the server, holding row locks
        // that every other route's transfers then wait for; PostgreSQL ends such sessions itself with
        // this setting, which the README recommends wherever tiers are routes to one server.
        server = harness.startPrimary("server", "idle_in_transaction_session_timeout = '3s'");
        Bank.open(server);
        primaryRoute = harness.proxy("primary-route", server);
        backupRoute = harness.proxy("backup-route", server);
        failoverRoute = harness.proxy("failover-route", server);
        MicroApp.writePostBoot(primaryRoute.jdbcUrl(), backupRoute.jdbcUrl(), failoverRoute.jdbcUrl(),
                MicroApp.FAST_POOLS,
                MicroApp.FAST_MONITOR,
                List.of());
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
    @DisplayName("the primary route is black-holed: transfers continue on the backup route")
    void blackholedRoute() throws Exception {
        routeFault("primary route black-holed", primaryRoute::blackhole);
    }

    @Test
    @Order(2)
    @DisplayName("the primary route resets every connection: transfers continue on the backup route")
    void resetRoute() throws Exception {
        routeFault("primary route reset", primaryRoute::reset);
    }

    @Test
    @Order(3)
    @DisplayName("every route resets, then all are restored: transfers resume at once, and none that starts after the restore fails")
    void allRoutesResetThenRestored() throws Exception {
        try (TransferLoad load = new TransferLoad(app, CALLERS).start()) {
            List<FaultProxy> routes = List.of(primaryRoute, backupRoute, failoverRoute);
            try {
                // GIVEN transfers committing on the primary route
                load.awaitSuccessesVia("primary", 0, 20, Duration.ofSeconds(60));

                // WHEN every route resets for as long as it takes 8 transfers to fail
                long faultAt = System.nanoTime();
                routes.forEach(FaultProxy::reset);
                await().atMost(Duration.ofSeconds(60)).until(() -> load.failuresBetween(faultAt, System.nanoTime()).size() >= CALLERS);
                routes.forEach(FaultProxy::pass);
                long restoredAt = System.nanoTime();

                // THEN the first transfer commits promptly, and the calls made after the restore all commit
                load.awaitSuccessesVia("primary", restoredAt, 20, Duration.ofSeconds(30));
                TransferLoad.Call first = Figures.report("every route reset, then restored", load, restoredAt, "primary");
                long recoveredMillis = Duration.ofNanos(first.endNanos() - restoredAt).toMillis();
                List<TransferLoad.Call> failedAfter = load.calls().stream()
                        .filter(c -> c.status() != 200 && c.startNanos() > restoredAt).toList();
                System.out.printf("[figures] every route reset, then restored: first commit %d ms after the restore (target 500 ms);"
                        + " %d calls started after the restore failed%n", recoveredMillis, failedAfter.size());
                load.stop();
                Bank.assertConsistent(load, List.of(server));
                assertThat(failedAfter).as("calls that started after the restore and failed (sessions the reset killed"
                        + " must be validated before reuse, not handed out)").isEmpty();
                assertThat(recoveredMillis).as("first commit after the restore (target 500 ms; bound generous)").isLessThan(5_000);
            } finally {
                routes.forEach(FaultProxy::pass);
            }
        }
    }

    private void routeFault(String scenario, Runnable fault) throws Exception {
        try (TransferLoad load = new TransferLoad(app, CALLERS).start()) {
            try {
                faultAndHeal(scenario, fault, load);
            } finally {
                primaryRoute.pass();
            }
        }
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(sessions(server, "pgtier-rw") + sessions(server, "pgtier-ro"))
                .as("sessions the server counts vs what the adapter holds on the three routes")
                .isEqualTo(Figures.open(app, "primary") + Figures.open(app, "backup") + Figures.open(app, "failover")));
        assertThat(Figures.open(app, "primary") + Figures.open(app, "backup") + Figures.open(app, "failover"))
                .as("within the pools' maximum sizes").isLessThanOrEqualTo(10 + 8);
    }

    private void faultAndHeal(String scenario, Runnable fault, TransferLoad load) throws Exception {
        load.awaitSuccessesVia("primary", 0, 20, Duration.ofSeconds(60));

        long faultAt = System.nanoTime();
        fault.run();
        load.awaitSuccessesVia("backup", faultAt, 20, Duration.ofSeconds(30));
        Figures.report(scenario, load, faultAt, "backup");

        long healed = System.nanoTime();
        primaryRoute.pass();
        load.awaitSuccessesVia("primary", healed, 20, Duration.ofSeconds(60));
        load.stop();

        Bank.assertConsistent(load, List.of(server));
        assertThat(load.failuresBetween(healed, System.nanoTime())).as("moving back to the healed route fails nothing").isEmpty();
    }
}
