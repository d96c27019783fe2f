package io.pgtier.it;

import static io.pgtier.it.MicroApp.get;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgtier.harness.FaultProxy;
import io.pgtier.harness.PgHarness;
import io.pgtier.harness.PgServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
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
 * An operator's actions over REST in Payara Micro, on a pool whose tiers are two routes to one
 * server: only an authenticated user of the file realm in group {@code pgtier-operator}, with the
 * {@code X-Requested-By} header, may act; anyone else changes nothing. A drain moves the pool's
 * sessions off the tier (counted at the route's proxy and in the status), and a resume moves them back.
 */
@ExtendWith(ArquillianExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OperatorsIT {

    private static final String OPERATOR_PASSWORD = "ops-pw-2718";
    private static final String STAFF_PASSWORD = "staff-pw-3141";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private static PgHarness harness;
    private static PgServer server;
    private static FaultProxy backupRoute;

    @ArquillianResource
    private URL app;

    @Deployment(testable = false)
    static WebArchive deployment() throws IOException {
        harness = PgHarness.create();
        server = harness.startPrimary("ops");
        backupRoute = harness.proxy("ops-backup-route", server);
        Path work = Path.of(System.getProperty("pgtier.work"));
        Files.createDirectories(work);
        Path operator = Files.writeString(work.resolve("operator.password"), "AS_ADMIN_USERPASSWORD=" + OPERATOR_PASSWORD + "\n");
        Path staff = Files.writeString(work.resolve("staff.password"), "AS_ADMIN_USERPASSWORD=" + STAFF_PASSWORD + "\n");
        MicroApp.writePostBoot(server.jdbcUrl(), backupRoute.jdbcUrl(), "", MicroApp.FAST_MONITOR, List.of(
                "create-file-user --groups pgtier-operator --passwordfile " + operator + " ops",
                "create-file-user --groups staff --passwordfile " + staff + " staffer",
                // The container's resizer validates idle connections every idle timeout (default 300 s):
                // one the adapter could not claim as idle at the moment of the action retires then.
                "set resources.connector-connection-pool.pgtier-rw.idle-timeout-in-seconds=3"));
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
    @DisplayName("anonymous, wrong-role and header-less calls are refused (401, 403, 400) and change nothing")
    void onlyOperatorsAct() {
        String drain = "/pgtier-web/api/pools/pgtier-rw/tiers/primary/drain";
        assertThat(post(drain, null, null, true).statusCode()).as("anonymous").isEqualTo(401);
        assertThat(post(drain, "staffer", STAFF_PASSWORD, true).statusCode()).as("wrong role").isEqualTo(403);
        assertThat(post(drain, "ops", "not-the-password", true).statusCode()).as("wrong password").isEqualTo(401);
        assertThat(post(drain, "ops", OPERATOR_PASSWORD, false).statusCode()).as("no X-Requested-By").isEqualTo(400);

        assertThat(status()).as("nothing changed").contains("\"id\":\"primary\",\"endpoint\"")
                .doesNotContain("DRAINED").doesNotContain("PGT-306");
    }

    @Test
    @Order(2)
    @DisplayName("an operator drains the primary: the pool's new and idle sessions move to the backup route; resume moves them back")
    void drainAndResume() {
        work(20);
        int acceptedBefore = backupRoute.acceptedConnections();

        HttpResponse<String> drained = post("/pgtier-web/api/pools/pgtier-rw/tiers/primary/drain", "ops", OPERATOR_PASSWORD, true);

        assertThat(drained.statusCode()).as(drained.body()).isEqualTo(200);
        assertThat(drained.body()).contains("\"state\":\"DRAINED\"").contains("\"actor\":\"ops\"").contains("PGT-306");
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            work(5);
            assertThat(readWritePool()).as("the pool holds no session on the drained tier")
                    .containsPattern("\"sessions\":\\{\"primary\":0,\"backup\":[1-9]");
        });
        assertThat(backupRoute.acceptedConnections()).as("new sessions went through the backup route").isGreaterThan(acceptedBefore);

        HttpResponse<String> resumed = post("/pgtier-web/api/pools/pgtier-rw/tiers/primary/resume", "ops", OPERATOR_PASSWORD, true);

        assertThat(resumed.statusCode()).as(resumed.body()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            work(5);
            assertThat(readWritePool()).containsPattern("\"sessions\":\\{\"primary\":[1-9][0-9]*,\"backup\":0");
        });
        assertThat(status()).contains("PGT-308");
    }

    /** CMT work on the READ_WRITE pool, as a bean's callers make it. */
    private void work(int calls) {
        for (int i = 0; i < calls; i++) {
            HttpResponse<String> r = MicroApp.post(app, "api/examples/notes?text=ops-work");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        }
    }

    /** The READ_WRITE pool's object in /api/status, alone: the READ_ONLY pool shares its tiers. */
    private String readWritePool() {
        String all = status();
        int start = all.indexOf("{\"resource\":\"jca/pgtier\"");
        int end = all.indexOf("{\"resource\":", start + 1);
        assertThat(start).as(all).isNotNegative();
        return end < 0 ? all.substring(start) : all.substring(start, end);
    }

    private String status() {
        HttpResponse<String> r = get(app, "api/status");
        assertThat(r.statusCode()).isEqualTo(200);
        return r.body();
    }

    private HttpResponse<String> post(String path, String user, String password, boolean requestedBy) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(app.getProtocol() + "://" + app.getHost() + ":"
                + app.getPort() + path)).timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.noBody());
        if (user != null) {
            request.header("Authorization", "Basic " + Base64.getEncoder()
                    .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8)));
        }
        if (requestedBy) {
            request.header("X-Requested-By", "OperatorsIT");
        }
        try {
            return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
