package io.pgtier.it;

import static io.pgtier.it.MicroApp.get;
import static io.pgtier.it.MicroApp.notes;
import static io.pgtier.it.MicroApp.post;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgtier.harness.PgHarness;
import io.pgtier.harness.PgServer;
import io.pgtier.it.rotation.AsadminEndpoint;
import io.pgtier.it.rotation.HeldTransaction;
import java.io.IOException;
import java.net.URL;
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
import java.util.concurrent.CompletableFuture;
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
 * A password rotation in Payara Micro, without a restart, as an operator does it: the DBA changes
 * the role's password, the operator makes a new password alias and points the pool's
 * {@code password} property at it ({@code asadmin} commands run inside Micro). New connections
 * sign on with the new password, while a bean's transaction that was under way on a session
 * opened with the old one finishes its work and commits. Payara re-creates a connector pool whose
 * properties change and destroys every connection of the old one, those in use included: pgtier
 * keeps a session a bean still uses until its work ends.
 */
@ExtendWith(ArquillianExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RotationIT {

    private static final String POOL = "resources.connector-connection-pool.pgtier-rw.property.";

    private static PgHarness harness;
    private static PgServer primary;

    @ArquillianResource
    private URL app;

    @Deployment(testable = false)
    static WebArchive deployment() throws IOException {
        MicroApp.deleteMicroLog();
        harness = PgHarness.create();
        primary = harness.startPrimary("rotation");
        primary.execute("CREATE ROLE rotor LOGIN SUPERUSER PASSWORD 'rotor-pw-1'");
        MicroApp.writePostBoot(primary.jdbcUrl(), "", "", MicroApp.FAST_MONITOR, List.of());
        return MicroApp.war().addClass(AsadminEndpoint.class).addClass(HeldTransaction.class);
    }

    @AfterAll
    static void stopServers() {
        if (harness != null) {
            harness.close();
        }
    }

    @Test
    @Order(1)
    @DisplayName("at runtime, the READ_WRITE pool is pointed at role rotor through a password alias: new work signs on as rotor")
    void signsOnThroughAnAlias() throws Exception {
        await().atMost(Duration.ofSeconds(30)).until(() -> get(app, "/health/ready").statusCode() == 200);
        alias("pgtier-rotor-1", "rotor-pw-1");
        asadmin("set " + POOL + "user=rotor");
        asadmin("set " + POOL + "password=${ALIAS=pgtier-rotor-1}");

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            HttpResponse<String> r = post(app, "api/examples/notes?text=rotor-1");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        });
        assertThat(rotorSessions()).as("sessions of role rotor").isNotEmpty();
    }

    @Test
    @Order(2)
    @DisplayName("rotation: new sessions use the new password; a transaction under way on the old one commits all its work")
    void rotatesWithoutARestart() throws Exception {
        CompletableFuture<HttpResponse<String>> held = CompletableFuture.supplyAsync(() -> post(app, "api/held?text=held-across"));
        long heldPid = await().atMost(Duration.ofSeconds(30)).until(() -> idleInTransaction(), pid -> pid > 0);
        long failedBefore = failedLogins();

        // The DBA rotates the password; the operator makes a new alias and points the pool at it.
        primary.execute("ALTER ROLE rotor PASSWORD 'rotor-pw-2'");
        alias("pgtier-rotor-2", "rotor-pw-2");
        asadmin("set " + POOL + "password=${ALIAS=pgtier-rotor-2}");

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            HttpResponse<String> r = post(app, "api/examples/notes?text=rotor-2");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        });
        assertThat(notes(primary, "rotor-2")).isEqualTo(1);
        assertThat(rotorSessions()).as("rotor's sessions: the held one and at least one signed on with the new password")
                .contains(heldPid).hasSizeGreaterThan(1);
        assertThat(held).as("the held transaction is still under way").isNotDone();

        assertThat(post(app, "api/held/release").statusCode()).isEqualTo(200);
        HttpResponse<String> done = held.get(90, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(done.statusCode()).as(done.body()).isEqualTo(200);
        assertThat(notes(primary, "held-across")).as("both notes of the held transaction, committed").isEqualTo(2);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(rotorSessions())
                .as("the old pool's session ends once its work is done").doesNotContain(heldPid));

        // The monitor tries the last password that worked once more, then only the new one: two more rounds add nothing.
        // Two rounds first: one under way at the rotation may still try the old password, once.
        MicroApp.awaitMonitorRounds(app, 2);
        long failed = failedLogins();
        MicroApp.awaitMonitorRounds(app, 2);
        assertThat(failedLogins()).as("failed logins as rotor over two more monitor rounds").isEqualTo(failed);
        assertThat(failed - failedBefore).as("failed logins as rotor caused by the rotation").isLessThanOrEqualTo(2);
    }

    @Test
    @Order(3)
    @DisplayName("neither password of the rotation appears in Micro's log (asadmin's output and PGT-230/231 included), /api/status, /health or /metrics")
    void noPasswordShown() throws IOException {
        String log = MicroApp.microLog();
        assertThat(log).as("the log holds the rotation").contains("PGT-230").contains("PGT-231");
        for (String output : List.of(log, get(app, "api/status").body(), get(app, "/health").body(), get(app, "/metrics").body())) {
            assertThat(output).doesNotContain("rotor-pw-1").doesNotContain("rotor-pw-2");
        }
    }

    private void asadmin(String commandLine) {
        HttpResponse<String> r = post(app, "api/asadmin", commandLine);
        assertThat(r.statusCode()).as(commandLine + ": " + r.body()).isEqualTo(200);
    }

    /** A password alias made inside Micro from a password file, as {@code create-password-alias} takes it. */
    private void alias(String name, String password) throws IOException {
        Path file = Files.createTempFile(Path.of(System.getProperty("pgtier.work")), "alias", ".txt");
        try {
            Files.writeString(file, "AS_ADMIN_ALIASPASSWORD=" + password + "\n");
            asadmin("create-password-alias --passwordfile=" + file + " " + name);
        } finally {
            Files.delete(file);
        }
    }

    /** The backend of rotor's session that is idle in a transaction (the held bean's), or 0. */
    private static long idleInTransaction() throws SQLException {
        try (Connection c = primary.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT pid FROM pg_stat_activity WHERE usename = 'rotor' AND state = 'idle in transaction'")) {
            return rs.next() ? rs.getLong(1) : 0;
        }
    }

    private static List<Long> rotorSessions() throws SQLException {
        List<Long> pids = new ArrayList<>();
        try (Connection c = primary.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT pid FROM pg_stat_activity WHERE usename = 'rotor'"
                     + " AND application_name LIKE 'pgtier-pgtier-rw%'")) {
            while (rs.next()) {
                pids.add(rs.getLong(1));
            }
        }
        return pids;
    }

    private static long failedLogins() {
        return primary.log().lines().filter(l -> l.contains("password authentication failed for user \"rotor\"")).count();
    }
}
