package io.pgtier.spi;

import static io.pgtier.spi.TestPool.sessionsOn;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.pgtier.harness.PgHarness;
import io.pgtier.harness.PgServer;
import java.io.StringReader;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;

/** What a bean can and cannot do with the connection it holds. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HandleTest {

    private PgHarness harness;
    private PgServer server;
    private TestPool pool;

    @BeforeAll
    void start() throws Exception {
        harness = PgHarness.create();
        server = harness.startPrimary("handles");
        server.execute("CREATE TABLE copied(id int, name text)");
        pool = TestPool.start(TestPool.factory("handles", "READ_WRITE", server.jdbcUrl(), null, null));
    }

    @AfterAll
    void stop() {
        pool.close();
        harness.close();
    }

    @Test
    @DisplayName("unwrap(PGConnection) gives COPY; the bean cannot close the pool's session with it")
    void unwrapForCopy() throws Exception {
        try (Connection c = pool.connection()) {
            assertThat(c.isWrapperFor(PGConnection.class)).isTrue();
            PGConnection pg = c.unwrap(PGConnection.class);
            assertThat(pg).isNotInstanceOf(Connection.class);
            CopyManager copy = pg.getCopyAPI();
            long rows = copy.copyIn("COPY copied FROM STDIN (FORMAT csv)", new StringReader("1,ada\n2,grace\n3,edsger\n"));
            assertThat(rows).isEqualTo(3);
        }
        try (Connection check = server.connect(); Statement s = check.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM copied")) {
            rs.next();
            assertThat(rs.getInt(1)).isEqualTo(3);
        }
        assertThat(sessionsOn(server, "handles")).as("the session is still pooled, not closed").isEqualTo(1);
        assertThat(pool.manager.destroyed.get()).isZero();
    }

    @Test
    @DisplayName("unwrapping to anything else is refused with a clear message")
    void unwrapOtherRefused() throws Exception {
        try (Connection c = pool.connection()) {
            SQLException error = catchThrowableOfType(SQLException.class, () -> c.unwrap(org.postgresql.core.BaseConnection.class));
            assertThat(error.getMessage()).contains("PGT-202", "org.postgresql.core.BaseConnection");
        }
    }

    @Test
    @DisplayName("a closed handle fails with 08003 and says so; close() twice is harmless")
    void closedHandle() throws Exception {
        Connection c = pool.connection();
        c.close();
        c.close();

        SQLException error = catchThrowableOfType(SQLException.class, c::createStatement);

        assertThat(c.isClosed()).isTrue();
        assertThat(error.getSQLState()).isEqualTo("08003");
        assertThat(error.getMessage()).contains("PGT-201", "closed");
    }

    @Test
    @DisplayName("statements lead back to the handle, never to the physical connection; forgotten ones close with the handle")
    void statementsWrapped() throws Exception {
        PreparedStatement forgotten;
        try (Connection c = pool.connection()) {
            Statement s = c.createStatement();
            assertThat(s.getConnection()).isSameAs(c);
            ResultSet rs = s.executeQuery("SELECT 1");
            assertThat(rs.getStatement()).isSameAs(s);
            assertThat(c.getMetaData().getConnection()).isSameAs(c);
            forgotten = c.prepareStatement("SELECT ?");
        }
        assertThat(forgotten.isClosed()).as("closed with its handle").isTrue();
    }

    @Test
    @DisplayName("a bean's session changes are undone before the next bean gets the connection")
    void sessionReset() throws Exception {
        try (Connection c = pool.connection()) {
            c.setAutoCommit(false);
            c.createStatement().execute("INSERT INTO copied VALUES (99, 'uncommitted')");
        }
        try (Connection c = pool.connection()) {
            assertThat(c.getAutoCommit()).isTrue();
            c.setReadOnly(true);
            c.setTransactionIsolation(Connection.TRANSACTION_SERIALIZABLE);
        }
        try (Connection c = pool.connection()) {
            assertThat(c.getAutoCommit()).isTrue();
            assertThat(c.isReadOnly()).isFalse();
            assertThat(c.getTransactionIsolation()).isEqualTo(Connection.TRANSACTION_READ_COMMITTED);
            try (ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM copied WHERE id = 99")) {
                rs.next();
                assertThat(rs.getInt(1)).as("left uncommitted by the last bean: rolled back").isZero();
            }
        }
        assertThat(sessionsOn(server, "handles")).as("one session served all three").isEqualTo(1);
    }

    @Test
    @DisplayName("cleanup by the container closes the handles a bean still holds")
    void cleanupClosesHandles() throws Exception {
        jakarta.resource.spi.ManagedConnection mc = pool.factory.createManagedConnection(null, null);
        try {
            Connection held = (Connection) mc.getConnection(null, null);
            mc.cleanup();
            assertThat(held.isClosed()).isTrue();
            assertThat(catchThrowableOfType(SQLException.class, held::createStatement).getSQLState()).isEqualTo("08003");
        } finally {
            mc.destroy();
        }
    }

    @Test
    @DisplayName("associateConnection moves a handle to another managed connection: it then runs on that session")
    void handleMoves() throws Exception {
        jakarta.resource.spi.ManagedConnection first = pool.factory.createManagedConnection(null, null);
        jakarta.resource.spi.ManagedConnection second = pool.factory.createManagedConnection(null, null);
        try {
            Connection handle = (Connection) first.getConnection(null, null);
            int before = handle.unwrap(PGConnection.class).getBackendPID();

            second.associateConnection(handle);

            int after = handle.unwrap(PGConnection.class).getBackendPID();
            assertThat(after).isNotEqualTo(before);
            assertThat(((ConnectionHandle) handle).owner()).isSameAs(second);
            assertThat(catchThrowableOfType(jakarta.resource.ResourceException.class,
                    () -> second.associateConnection("not a handle")).getMessage()).contains("PGT-203");
        } finally {
            first.destroy();
            second.destroy();
        }
    }
}
