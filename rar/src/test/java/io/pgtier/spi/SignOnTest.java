package io.pgtier.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.pgtier.harness.PgHarness;
import io.pgtier.harness.PgServer;
import jakarta.resource.spi.ManagedConnection;
import jakarta.resource.spi.security.PasswordCredential;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Set;
import javax.security.auth.Subject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Signing on as another user than the pool's: {@code getConnection(user, password)} and the
 * container's sign-on (a {@link Subject} with a {@link PasswordCredential}). A pooled session is
 * handed only to a request with the same user and password: never to another user's, never to a
 * wrong password for the same user.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SignOnTest {

    private PgHarness harness;
    private PgServer server;
    private TestPool pool;

    @BeforeAll
    void start() throws Exception {
        harness = PgHarness.create();
        server = harness.startPrimary("sign-on");
        server.execute("CREATE ROLE alice LOGIN PASSWORD 'alice-pw'");
        server.execute("CREATE ROLE bob LOGIN PASSWORD 'bob-pw'");
        pool = TestPool.start(TestPool.factory("sign-on", "READ_WRITE", server.jdbcUrl(), null, null));
    }

    @AfterAll
    void stop() {
        pool.close();
        harness.close();
    }

    @Test
    @DisplayName("getConnection(user, password): each user gets a session of their own; the same user and password reuse theirs")
    void getConnectionAsUser() throws Exception {
        int alicePid;
        try (Connection c = pool.dataSource.getConnection("alice", "alice-pw")) {
            assertThat(user(c)).isEqualTo("alice");
            alicePid = pid(c);
        }
        try (Connection c = pool.dataSource.getConnection("bob", "bob-pw")) {
            assertThat(user(c)).as("never alice's idle session").isEqualTo("bob");
        }
        try (Connection c = pool.connection()) {
            assertThat(user(c)).as("the pool's own user").isEqualTo("postgres");
        }
        try (Connection c = pool.dataSource.getConnection("alice", "alice-pw")) {
            assertThat(pid(c)).as("alice's session, matched again").isEqualTo(alicePid);
        }

        assertThat(pool.factory.runtime().tiers().get(0).signOns().forProbe(0).password())
                .as("the monitor's password: the pool's own, never a caller's").isEqualTo(io.pgtier.harness.PgHarness.PASSWORD);

        SQLException wrong = catchThrowableOfType(SQLException.class, () -> pool.dataSource.getConnection("alice", "not-alice-pw"));

        assertThat(wrong.getSQLState()).as("a wrong password is never matched to alice's pooled session").isEqualTo("28P01");
        assertThat(wrong.getMessage()).doesNotContain("not-alice-pw").doesNotContain("alice-pw");
    }

    @Test
    @DisplayName("container sign-on: the Subject's PasswordCredential for this factory signs on; another user's Subject is not matched")
    void containerSignOn() throws Exception {
        PgTierManagedConnectionFactory factory = pool.factory;
        ManagedConnection asAlice = factory.createManagedConnection(subject("alice", "alice-pw", factory), null);
        try {
            try (Connection c = (Connection) asAlice.getConnection(subject("alice", "alice-pw", factory), null)) {
                assertThat(user(c)).isEqualTo("alice");
            }
            asAlice.cleanup();

            assertThat(factory.matchManagedConnections(Set.of(asAlice), subject("bob", "bob-pw", factory), null))
                    .as("bob's request").isNull();
            assertThat(factory.matchManagedConnections(Set.of(asAlice), subject("alice", "wrong", factory), null))
                    .as("alice with a wrong password").isNull();
            assertThat(factory.matchManagedConnections(Set.of(asAlice), null, null)).as("the pool's own user").isNull();
            assertThat(factory.matchManagedConnections(Set.of(asAlice), subject("alice", "alice-pw", factory), null))
                    .as("alice again").isSameAs(asAlice);
        } finally {
            asAlice.destroy();
        }
    }

    private static Subject subject(String user, String password, PgTierManagedConnectionFactory factory) {
        PasswordCredential credential = new PasswordCredential(user, password.toCharArray());
        credential.setManagedConnectionFactory(factory);
        Subject subject = new Subject();
        subject.getPrivateCredentials().add(credential);
        return subject;
    }

    private static String user(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT current_user")) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static int pid(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT pg_backend_pid()")) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
