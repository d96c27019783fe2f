package io.pgtier.it;

import static org.assertj.core.api.Assertions.assertThat;

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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Pools sized to their tier's cap, as the README says (max-pool-size 16 and 8, primaryMaxConnections=24),
 * under twice as many callers: Payara makes the extra callers wait for a connection, and pgtier
 * never fails one with "cap full" — Payara frees a slot of its own pool before it destroys the
 * connection, so a replacement may be created while the old one still holds the tier's slot.
 */
@ExtendWith(ArquillianExtension.class)
class CapIT {

    private static PgHarness harness;
    private static PgServer server;

    @ArquillianResource
    private URL app;

    @Deployment(testable = false)
    static WebArchive deployment() {
        harness = PgHarness.create();
        server = harness.startPrimary("cap", "max_connections = 100");
        Bank.open(server);
        // One tier only: a full cap has nowhere to spill. Sized as the README says: the sum of the
        // max-pool-size of the pools that can use it (16 for writes, 8 for reads).
        MicroApp.writePostBoot(server.jdbcUrl(), "", "", "primaryMaxConnections=24", List.of(),
                List.of("set resources.connector-connection-pool.pgtier-rw.max-pool-size=16"));
        return MicroApp.war();
    }

    @AfterAll
    static void stopServers() {
        if (harness != null) {
            harness.close();
        }
    }

    @Test
    @DisplayName("32 callers on a pool of 16, the tier sized for its pools: every transfer commits, none fails with a full cap")
    void twiceAsManyCallersAsConnections() throws Exception {
        try (TransferLoad load = new TransferLoad(app, 32).start()) {
            load.awaitSuccessesVia("primary", 0, 2_000, Duration.ofSeconds(120));
            load.stop();
            List<TransferLoad.Call> failed = load.calls().stream().filter(c -> c.status() != 200).toList();
            System.out.printf("[figures] 32 callers, pool of 16, cap sized for the pools: %d transfers, %d failed%n", load.calls().size(), failed.size());
            assertThat(failed).as("transfers that failed").isEmpty();
            Bank.assertConsistent(load, List.of(server));
        }
        assertThat(Figures.open(app, "primary")).as("within the pools' sizes").isLessThanOrEqualTo(16 + 8);
    }
}
