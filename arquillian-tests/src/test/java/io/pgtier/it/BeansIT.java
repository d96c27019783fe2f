package io.pgtier.it;

import static io.pgtier.it.MicroApp.get;
import static io.pgtier.it.MicroApp.notes;
import static io.pgtier.it.MicroApp.post;
import static org.assertj.core.api.Assertions.assertThat;

import io.pgtier.harness.PgHarness;
import io.pgtier.harness.PgServer;
import io.pgtier.harness.Replication;
import java.net.URL;
import java.net.http.HttpResponse;
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
 * The beans a user would write, in a real Payara Micro, against a primary with a synchronous and an
 * asynchronous standby (the run command's cluster): injection and JNDI, raw connections and COPY,
 * CMT commit and rollback, REQUIRES_NEW, BMT, and container-scoped cleanup of leaked connections.
 * Every effect is read back from the database.
 */
@ExtendWith(ArquillianExtension.class)
class BeansIT {

    private static PgHarness harness;
    private static PgServer primary;
    private static PgServer backup;
    private static PgServer failover;

    @ArquillianResource
    private URL app;

    @Deployment(testable = false)
    static WebArchive deployment() {
        harness = PgHarness.create();
        primary = harness.startPrimary("primary");
        backup = harness.startStandby("backup", primary, Replication.SYNC);
        failover = harness.startStandby("failover", primary, Replication.ASYNC);
        MicroApp.writePostBoot(primary.jdbcUrl(), backup.jdbcUrl(), failover.jdbcUrl(), List.of(),
                // The leak test's pool: at most 5 connections, and a short wait so exhaustion would fail fast.
                List.of("set resources.connector-connection-pool.pgtier-rw.max-pool-size=5",
                        "set resources.connector-connection-pool.pgtier-rw.max-wait-time-in-millis=3000"));
        return MicroApp.war();
    }

    @AfterAll
    static void stopServers() {
        if (harness != null) {
            harness.close();
        }
    }

    @Test
    @DisplayName("@Resource injection and a JNDI lookup reach the same pool, on the primary; the READ_ONLY resource on a standby")
    void injectionAndLookup() {
        HttpResponse<String> injected = get(app, "api/examples/server");
        HttpResponse<String> lookedUp = get(app, "api/examples/server-jndi");
        HttpResponse<String> readOnly = get(app, "api/examples/server-readonly");

        assertThat(injected.statusCode()).as(injected.body()).isEqualTo(200);
        assertThat(injected.body()).contains(primary.port() + " primary");
        assertThat(lookedUp.body()).contains(primary.port() + " primary");
        assertThat(readOnly.body()).containsPattern("(" + backup.port() + "|" + failover.port() + ") standby");
    }

    @Test
    @DisplayName("the pools' sessions use TLS exactly when the harness runs TLS (the suite's second, TLS run), on every tier")
    void sessionsUseTlsAsConfigured() throws Exception {
        assertThat(get(app, "api/examples/server").statusCode()).isEqualTo(200);
        assertThat(get(app, "api/examples/server-readonly").statusCode()).isEqualTo(200);
        int withTls = 0;
        for (PgServer server : List.of(primary, backup, failover)) {
            try (java.sql.Connection c = server.connect(); java.sql.Statement s = c.createStatement();
                 java.sql.ResultSet rs = s.executeQuery("SELECT l.ssl, count(*) FROM pg_stat_ssl l JOIN pg_stat_activity a USING (pid)"
                         + " WHERE a.application_name LIKE 'pgtier-%' GROUP BY l.ssl")) {
                while (rs.next()) {
                    assertThat(rs.getBoolean(1)).as(server + ": pgtier sessions with ssl=" + rs.getBoolean(1)
                            + " while the harness runs TLS " + (primary.tlsOnly() ? "only" : "off")).isEqualTo(primary.tlsOnly());
                    withTls += rs.getBoolean(1) ? rs.getInt(2) : 0;
                }
            }
        }
        assertThat(withTls > 0).as("pgtier sessions with TLS").isEqualTo(primary.tlsOnly());
    }

    @Test
    @DisplayName("CMT REQUIRED: commits on success; rolls back on a system exception and on setRollbackOnly")
    void containerManagedTransactions() throws Exception {
        assertThat(post(app, "api/examples/notes?text=cmt-commit").statusCode()).isEqualTo(201);
        assertThat(post(app, "api/examples/notes/fail?text=cmt-system-exception").statusCode()).isEqualTo(500);
        assertThat(post(app, "api/examples/notes/rollback-only?text=cmt-rollback-only").statusCode()).isEqualTo(200);

        assertThat(notes(primary, "cmt-commit")).isEqualTo(1);
        assertThat(notes(primary, "cmt-system-exception")).isZero();
        assertThat(notes(primary, "cmt-rollback-only")).isZero();
    }

    @Test
    @DisplayName("CMT: a bean's commit() or setAutoCommit(true) is refused (2D000), so the container's rollback undoes every row")
    void beanCannotEndTheContainersTransaction() throws Exception {
        HttpResponse<String> commit = post(app, "api/examples/notes/end-transaction?text=cmt-bean-commit&autocommit=false");
        HttpResponse<String> autoCommit = post(app, "api/examples/notes/end-transaction?text=cmt-bean-autocommit&autocommit=true");

        assertThat(commit.statusCode()).isEqualTo(500);
        assertThat(commit.body()).contains("refused 2D000");
        assertThat(autoCommit.body()).contains("refused 2D000");
        assertThat(notes(primary, "cmt-bean-commit")).as("rows after the bean's commit() and the container's rollback").isZero();
        assertThat(notes(primary, "cmt-bean-autocommit")).as("rows after setAutoCommit(true) and the container's rollback").isZero();
    }

    @Test
    @DisplayName("REQUIRES_NEW commits independently of a caller that then rolls back")
    void requiresNew() throws Exception {
        assertThat(post(app, "api/examples/notes/independent?outer=rn-outer&inner=rn-inner").statusCode()).isEqualTo(500);

        assertThat(notes(primary, "rn-outer")).as("the caller's row").isZero();
        assertThat(notes(primary, "rn-inner")).as("the REQUIRES_NEW row").isEqualTo(1);
    }

    @Test
    @DisplayName("a bean-managed UserTransaction commits or rolls back as the bean says")
    void beanManaged() throws Exception {
        assertThat(post(app, "api/examples/notes/bmt?text=bmt-commit&commit=true").statusCode()).isEqualTo(201);
        assertThat(post(app, "api/examples/notes/bmt?text=bmt-rollback&commit=false").statusCode()).isEqualTo(200);

        assertThat(notes(primary, "bmt-commit")).isEqualTo(1);
        assertThat(notes(primary, "bmt-rollback")).isZero();
    }

    @Test
    @DisplayName("a raw connection from a JNDI lookup, unwrapped to PGConnection, COPYs rows in; the count agrees")
    void rawConnectionAndCopy() throws Exception {
        HttpResponse<String> copied = post(app, "api/examples/notes/copy", "copy-a\ncopy-b\ncopy-a\n");

        assertThat(copied.statusCode()).as(copied.body()).isEqualTo(201);
        assertThat(copied.body()).contains("\"copied\":3");
        assertThat(notes(primary, "copy-a")).isEqualTo(2);
        assertThat(get(app, "api/examples/notes/count-jndi?text=copy-b").body()).contains("\"count\":1");
    }

    @Test
    @DisplayName("a CMT method that never closes its connection, called 2000 times on a pool of 5: never exhausted, every leak counted")
    void leakedConnectionsAreReclaimed() throws Exception {
        long leaksBefore = leaks();
        for (int i = 0; i < 2000; i++) {
            HttpResponse<String> r = post(app, "api/examples/notes/leak?text=leak");
            assertThat(r.statusCode()).as("call %d: %s", i, r.body()).isEqualTo(200);
        }

        assertThat(leaks() - leaksBefore).isEqualTo(2000);
        assertThat(MicroApp.sessions(primary, "pgtier-rw")).as("sessions of the READ_WRITE pool").isLessThanOrEqualTo(5);
    }

    private long leaks() {
        HttpResponse<String> status = get(app, "api/status");
        assertThat(status.statusCode()).as(status.body()).isEqualTo(200);
        var m = java.util.regex.Pattern.compile("\"pool\":\"pgtier-rw\".*?\"leaksReclaimed\":(\\d+)").matcher(status.body());
        assertThat(m.find()).as("leaksReclaimed of pgtier-rw in %s", status.body()).isTrue();
        return Long.parseLong(m.group(1));
    }
}
