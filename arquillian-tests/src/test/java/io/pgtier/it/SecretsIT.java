package io.pgtier.it;

import static io.pgtier.it.MicroApp.get;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgtier.harness.FaultProxy;
import io.pgtier.harness.PgHarness;
import io.pgtier.harness.PgServer;
import io.pgtier.it.jmx.JmxEndpoint;
import io.pgtier.it.secrets.ConnectEndpoint;
import java.io.IOException;
import java.net.URL;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * No secret anywhere a person or a tool can see: Payara Micro with recognisable passwords — the
 * pools' own (through a password alias), a wrong one of a third pool, one of a pool whose
 * configuration is bad, and an operator's — driven through normal use, a hung route and its
 * return, bad configuration, a failed login and operator actions. Then every output is scanned:
 * the server log (asadmin's post-boot output included), /health, /metrics, /api/status, the status
 * page, every response body (errors with every cause and stack trace), the REST answers of the
 * operator API and the JMX attributes. One occurrence fails the test.
 */
@ExtendWith(ArquillianExtension.class)
class SecretsIT {

    private static final String WRONG = "Wrong-Secret-2b7f";
    private static final String BAD_CONFIG = "Badcfg-Secret-91ae";
    private static final String OPERATOR = "Operator-Secret-6d20";
    private static final List<String> SECRETS = List.of(PgHarness.PASSWORD, WRONG, BAD_CONFIG, OPERATOR);
    private static final Path WORK = Path.of(System.getProperty("pgtier.work"));

    private static PgHarness harness;
    private static FaultProxy primaryRoute;

    @ArquillianResource
    private URL app;

    @Deployment(testable = false)
    static WebArchive deployment() throws IOException {
        harness = PgHarness.create();
        PgServer server = harness.startPrimary("secrets");
        primaryRoute = harness.proxy("secrets-primary-route", server);
        FaultProxy backupRoute = harness.proxy("secrets-backup-route", server);
        Files.createDirectories(WORK);
        MicroApp.deleteMicroLog();
        Path wrong = Files.writeString(WORK.resolve("wrong.aliaspassword"), "AS_ADMIN_ALIASPASSWORD=" + WRONG + "\n");
        Path bad = Files.writeString(WORK.resolve("badcfg.aliaspassword"), "AS_ADMIN_ALIASPASSWORD=" + BAD_CONFIG + "\n");
        Path operator = Files.writeString(WORK.resolve("secrets-operator.password"), "AS_ADMIN_USERPASSWORD=" + OPERATOR + "\n");
        String pool = "create-connector-connection-pool --raname pgtier --connectiondefinition javax.sql.DataSource"
                + " --transactionsupport NoTransaction --steadypoolsize 0 --maxpoolsize 2 --ping true --property ";
        String url = MicroApp.escape(server.jdbcUrl());
        MicroApp.writePostBoot(primaryRoute.jdbcUrl(), backupRoute.jdbcUrl(), "", MicroApp.FAST_MONITOR, List.of(
                "create-file-user --groups pgtier-operator --passwordfile " + operator + " secrets-ops",
                "create-password-alias --passwordfile " + wrong + " pgtier-wrong",
                "create-password-alias --passwordfile " + bad + " pgtier-badcfg",
                pool + "poolName=pgtier-wrongpw:primaryUrl=" + url + ":user=" + PgServer.USER
                        + ":password=${ALIAS\\=pgtier-wrong} pgtier-wrongpw",
                "create-connector-resource --poolname pgtier-wrongpw jca/pgtier-wrongpw",
                pool + "poolName=pgtier-badcfg:primaryUrl=" + url + ":primaryMaxConnections=0:user=" + PgServer.USER
                        + ":password=${ALIAS\\=pgtier-badcfg} pgtier-badcfg",
                "create-connector-resource --poolname pgtier-badcfg jca/pgtier-badcfg"));
        return MicroApp.war().addClass(ConnectEndpoint.class).addClass(JmxEndpoint.class);
    }

    @AfterAll
    static void stopServers() {
        if (harness != null) {
            harness.close();
        }
    }

    @Test
    @DisplayName("after normal use, a hung route, bad configuration, a failed login and operator actions, no password appears in any output")
    void noSecretAnywhere() throws Exception {
        Map<String, String> outputs = new LinkedHashMap<>();
        await().atMost(Duration.ofSeconds(30)).until(() -> get(app, "/health/ready").statusCode() == 200);

        // Normal use.
        for (int i = 0; i < 5; i++) {
            outputs.merge("work", body(MicroApp.post(app, "api/examples/notes?text=secrets")), String::concat);
        }
        // A failed login and a bad configuration, as a bean sees them.
        String failedLogin = get(app, "api/connect?jndi=jca/pgtier-wrongpw").body();
        assertThat(failedLogin).as("the failed login happened").contains("28P01");
        outputs.put("failed login, every cause", failedLogin);
        String badConfig = get(app, "api/connect?jndi=jca/pgtier-badcfg").body();
        assertThat(badConfig).as("the bad configuration was refused").contains("primaryMaxConnections");
        outputs.put("bad configuration, every cause", badConfig);
        // A hung route, and its return.
        primaryRoute.blackhole();
        try {
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                outputs.merge("work during the fault", body(MicroApp.post(app, "api/examples/notes?text=fault")), String::concat);
                assertThat(get(app, "api/status").body()).contains("PGT-301");
            });
        } finally {
            primaryRoute.pass();
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> get(app, "api/status").body().contains("PGT-302"));
        // Operator actions: refused ones, and real ones.
        outputs.put("REST drain, anonymous", post("/pgtier-web/api/pools/pgtier-rw/tiers/backup/drain", null, null).body());
        outputs.put("REST drain, wrong password", post("/pgtier-web/api/pools/pgtier-rw/tiers/backup/drain", "secrets-ops", WRONG).body());
        outputs.put("REST drain", post("/pgtier-web/api/pools/pgtier-rw/tiers/backup/drain", "secrets-ops", OPERATOR).body());
        outputs.put("REST resume", post("/pgtier-web/api/pools/pgtier-rw/tiers/backup/resume", "secrets-ops", OPERATOR).body());
        outputs.put("page login", get(app, "api/operator").body());
        // What tools read.
        outputs.put("/health", get(app, "/health").body());
        outputs.put("/health/ready", get(app, "/health/ready").body());
        outputs.put("/metrics", get(app, "/metrics").body());
        outputs.put("/api/status", get(app, "api/status").body());
        outputs.put("status page", get(app, "").body() + get(app, "pgtier.js").body());
        for (String pool : List.of("pgtier-rw", "pgtier-ro", "pgtier-wrongpw")) {
            outputs.put("JMX " + pool, get(app, "api/jmx/" + pool + "/tiers").body());
        }
        String log = MicroApp.microLog();
        outputs.put("server log", log);

        assertThat(log).as("the log holds what happened").contains("PGT-301").contains("pgtier-wrongpw");
        List<String> found = new ArrayList<>();
        outputs.forEach((where, text) -> {
            for (String secret : SECRETS) {
                int n = occurrences(text, secret);
                if (n > 0) {
                    found.add(n + " x " + secret.substring(0, 4) + "… in " + where);
                }
            }
        });
        System.out.println("SecretsIT scanned " + outputs.size() + " outputs, " + outputs.values().stream()
                .mapToInt(String::length).sum() + " characters, for " + SECRETS.size() + " passwords: " + found.size() + " found");
        assertThat(found).as("passwords found").isEmpty();
    }

    private static int occurrences(String text, String secret) {
        int n = 0;
        for (int i = text.indexOf(secret); i >= 0; i = text.indexOf(secret, i + 1)) {
            n++;
        }
        return n;
    }

    private static String body(HttpResponse<String> r) {
        return r.statusCode() + " " + r.body() + "\n";
    }

    private HttpResponse<String> post(String path, String user, String password) {
        return MicroApp.postAs(app, path, user, password, "SecretsIT");
    }
}
