package io.pgtier.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.pgtier.harness.PgHarness;
import io.pgtier.harness.PgServer;
import jakarta.resource.spi.LocalTransaction;
import jakarta.resource.spi.LocalTransactionException;
import jakarta.resource.spi.ManagedConnection;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import javax.transaction.xa.XAResource;
import javax.transaction.xa.Xid;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The transaction contracts the container drives, with their effect read back from the databases:
 * local transactions on one pool, XA across two pools on two servers, and recovery.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TransactionsTest {

    private PgHarness harness;
    private PgServer orders;
    private PgServer billing;
    private TestPool ordersPool;
    private TestPool billingPool;

    @BeforeAll
    void start() throws Exception {
        harness = PgHarness.create();
        orders = harness.startPrimary("orders");
        billing = harness.startPrimary("billing");
        orders.execute("CREATE TABLE orders(id int PRIMARY KEY, note text)");
        billing.execute("CREATE TABLE invoices(id int PRIMARY KEY, note text)");
        ordersPool = TestPool.start(TestPool.factory("orders", "READ_WRITE", orders.jdbcUrl(), null, null));
        billingPool = TestPool.start(TestPool.factory("billing", "READ_WRITE", billing.jdbcUrl(), null, null));
    }

    @AfterAll
    void stop() {
        ordersPool.close();
        billingPool.close();
        harness.close();
    }

    @Test
    @DisplayName("LocalTransaction: commit makes the row visible to others, rollback leaves nothing")
    void localCommitAndRollback() throws Exception {
        ManagedConnection mc = ordersPool.factory.createManagedConnection(null, null);
        try {
            LocalTransaction tx = mc.getLocalTransaction();
            Connection c = (Connection) mc.getConnection(null, null);

            tx.begin();
            c.createStatement().execute("INSERT INTO orders VALUES (1, 'committed')");
            assertThat(count(orders, "SELECT count(*) FROM orders WHERE id = 1")).as("not visible before commit").isZero();
            tx.commit();
            assertThat(count(orders, "SELECT count(*) FROM orders WHERE id = 1")).isEqualTo(1);
            assertThat(c.getAutoCommit()).as("autocommit restored after commit").isTrue();

            tx.begin();
            c.createStatement().execute("INSERT INTO orders VALUES (2, 'rolled back')");
            tx.rollback();
            assertThat(count(orders, "SELECT count(*) FROM orders WHERE id = 2")).isZero();
        } finally {
            mc.destroy();
        }
    }

    @Test
    @DisplayName("inside the container's local transaction the bean cannot commit, roll back or turn autocommit on (2D000);"
            + " savepoints work; the container's rollback undoes everything")
    void beanCannotEndTheContainersTransaction() throws Exception {
        ManagedConnection mc = ordersPool.factory.createManagedConnection(null, null);
        try {
            LocalTransaction tx = mc.getLocalTransaction();
            Connection c = (Connection) mc.getConnection(null, null);
            tx.begin();
            c.createStatement().execute("INSERT INTO orders VALUES (31, 'first')");

            for (var refused : java.util.List.<org.assertj.core.api.ThrowableAssert.ThrowingCallable>of(
                    c::commit, c::rollback, () -> c.setAutoCommit(true))) {
                assertThatThrownBy(refused).isInstanceOf(SQLException.class)
                        .hasMessageContaining("pgtier[orders]").hasMessageContaining("refused")
                        .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("2D000"));
            }
            c.setAutoCommit(false);
            var savepoint = c.setSavepoint();
            c.createStatement().execute("INSERT INTO orders VALUES (32, 'undone by the savepoint')");
            c.rollback(savepoint);
            c.createStatement().execute("INSERT INTO orders VALUES (33, 'second')");
            assertThat(count(orders, "SELECT count(*) FROM orders WHERE id IN (31, 32, 33)")).as("nothing committed yet").isZero();

            tx.rollback();

            assertThat(count(orders, "SELECT count(*) FROM orders WHERE id IN (31, 32, 33)")).as("the container's rollback").isZero();
            c.createStatement().execute("INSERT INTO orders VALUES (34, 'autocommit outside the transaction')");
            c.setAutoCommit(false);
            c.createStatement().execute("INSERT INTO orders VALUES (35, 'own transaction')");
            c.commit();
            assertThat(count(orders, "SELECT count(*) FROM orders WHERE id IN (34, 35)")).as("outside it, JDBC as usual").isEqualTo(2);
            c.setAutoCommit(true);
        } finally {
            mc.destroy();
        }
    }

    @Test
    @DisplayName("LocalTransaction: a nested begin is refused; commit without begin is refused")
    void nestedBeginRefused() throws Exception {
        ManagedConnection mc = ordersPool.factory.createManagedConnection(null, null);
        try {
            LocalTransaction tx = mc.getLocalTransaction();
            tx.begin();
            assertThatThrownBy(tx::begin).isInstanceOf(LocalTransactionException.class)
                    .hasMessageContaining("pgtier[orders]").hasMessageContaining("already active");
            tx.rollback();
            assertThatThrownBy(tx::commit).isInstanceOf(LocalTransactionException.class)
                    .hasMessageContaining("no local transaction is active");
        } finally {
            mc.destroy();
        }
    }

    @Test
    @DisplayName("LocalTransaction: commit on a session the server ended reports the error and nothing is committed")
    void commitOnDeadConnection() throws Exception {
        ManagedConnection mc = ordersPool.factory.createManagedConnection(null, null);
        MiniConnectionManager events = new MiniConnectionManager();
        mc.addConnectionEventListener(events);
        try {
            LocalTransaction tx = mc.getLocalTransaction();
            Connection c = (Connection) mc.getConnection(null, null);
            tx.begin();
            c.createStatement().execute("INSERT INTO orders VALUES (3, 'lost')");
            int pid = c.unwrap(org.postgresql.PGConnection.class).getBackendPID();
            orders.execute("SELECT pg_terminate_backend(" + pid + ")");

            LocalTransactionException error = catchThrowableOfType(LocalTransactionException.class, tx::commit);

            assertThat(error.getErrorCode()).as("SQLSTATE of the failure").matches("08006|57P01|08003");
            assertThat(error.getMessage()).contains("pgtier[orders] commit failed on tier primary");
            assertThat(events.errors).as("the container is told the connection is dead").hasSize(1);
            assertThat(count(orders, "SELECT count(*) FROM orders WHERE id = 3")).isZero();
        } finally {
            mc.destroy();
        }
    }

    @Test
    @DisplayName("XA across two pools on two servers: prepare + commit commits both, prepare + rollback neither")
    void xaTwoPhase() throws Exception {
        ManagedConnection a = ordersPool.factory.createManagedConnection(null, null);
        ManagedConnection b = billingPool.factory.createManagedConnection(null, null);
        try {
            XAResource xaA = a.getXAResource();
            XAResource xaB = b.getXAResource();
            assertThat(xaA.isSameRM(xaB)).as("two servers are two resource managers").isFalse();

            twoBranches(a, b, xaA, xaB, 10, new TestXid(1, "gtx-commit"));
            assertThat(xaA.prepare(new TestXid(1, "gtx-commit", "orders"))).isEqualTo(XAResource.XA_OK);
            assertThat(xaB.prepare(new TestXid(1, "gtx-commit", "billing"))).isEqualTo(XAResource.XA_OK);
            assertThat(count(orders, "SELECT count(*) FROM orders WHERE id = 10")).as("prepared, not committed").isZero();
            xaA.commit(new TestXid(1, "gtx-commit", "orders"), false);
            xaB.commit(new TestXid(1, "gtx-commit", "billing"), false);
            assertThat(count(orders, "SELECT count(*) FROM orders WHERE id = 10")).isEqualTo(1);
            assertThat(count(billing, "SELECT count(*) FROM invoices WHERE id = 10")).isEqualTo(1);

            twoBranches(a, b, xaA, xaB, 11, new TestXid(2, "gtx-rollback"));
            xaA.prepare(new TestXid(2, "gtx-rollback", "orders"));
            xaB.prepare(new TestXid(2, "gtx-rollback", "billing"));
            xaA.rollback(new TestXid(2, "gtx-rollback", "orders"));
            xaB.rollback(new TestXid(2, "gtx-rollback", "billing"));
            assertThat(count(orders, "SELECT count(*) FROM orders WHERE id = 11")).isZero();
            assertThat(count(billing, "SELECT count(*) FROM invoices WHERE id = 11")).isZero();
            assertThat(count(orders, "SELECT count(*) FROM pg_prepared_xacts")).isZero();
        } finally {
            a.destroy();
            b.destroy();
        }
    }

    @Test
    @DisplayName("XA recover() lists a prepared branch, which can then be committed")
    void recoverListsPreparedBranch() throws Exception {
        ManagedConnection mc = ordersPool.factory.createManagedConnection(null, null);
        TestXid xid = new TestXid(7, "gtx-recover", "orders");
        try {
            XAResource xa = mc.getXAResource();
            Connection c = (Connection) mc.getConnection(null, null);
            xa.start(xid, XAResource.TMNOFLAGS);
            c.createStatement().execute("INSERT INTO orders VALUES (20, 'in doubt')");
            xa.end(xid, XAResource.TMSUCCESS);
            xa.prepare(xid);
        } finally {
            mc.destroy();
        }
        // As Payara's recovery does: a fresh managed connection, recover(), then finish the branch.
        ManagedConnection recovery = ordersPool.factory.createManagedConnection(null, null);
        try {
            XAResource xa = recovery.getXAResource();
            Xid[] inDoubt = xa.recover(XAResource.TMSTARTRSCAN | XAResource.TMENDRSCAN);
            assertThat(inDoubt).anySatisfy(x -> assertThat(TestXid.same(x, xid)).isTrue());
            xa.commit(xid, false);
            assertThat(count(orders, "SELECT count(*) FROM orders WHERE id = 20")).isEqualTo(1);
        } finally {
            recovery.destroy();
        }
    }

    private static void twoBranches(ManagedConnection a, ManagedConnection b, XAResource xaA, XAResource xaB, int id,
            TestXid global) throws Exception {
        Xid branchA = new TestXid(global.getFormatId(), global.gtrid, "orders");
        Xid branchB = new TestXid(global.getFormatId(), global.gtrid, "billing");
        Connection ca = (Connection) a.getConnection(null, null);
        Connection cb = (Connection) b.getConnection(null, null);
        xaA.start(branchA, XAResource.TMNOFLAGS);
        xaB.start(branchB, XAResource.TMNOFLAGS);
        ca.createStatement().execute("INSERT INTO orders VALUES (" + id + ", 'xa')");
        cb.createStatement().execute("INSERT INTO invoices VALUES (" + id + ", 'xa')");
        xaA.end(branchA, XAResource.TMSUCCESS);
        xaB.end(branchB, XAResource.TMSUCCESS);
        ca.close();
        cb.close();
    }

    private static int count(PgServer server, String sql) throws SQLException {
        try (Connection c = server.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static final class TestXid implements Xid {
        private final int formatId;
        private final String gtrid;
        private final String bqual;

        TestXid(int formatId, String gtrid) {
            this(formatId, gtrid, "");
        }

        TestXid(int formatId, String gtrid, String bqual) {
            this.formatId = formatId;
            this.gtrid = gtrid;
            this.bqual = bqual;
        }

        @Override
        public int getFormatId() {
            return formatId;
        }

        @Override
        public byte[] getGlobalTransactionId() {
            return gtrid.getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public byte[] getBranchQualifier() {
            return bqual.getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Xid xid && same(this, xid);
        }

        @Override
        public int hashCode() {
            return gtrid.hashCode() * 31 + bqual.hashCode();
        }

        static boolean same(Xid a, Xid b) {
            return a.getFormatId() == b.getFormatId()
                    && Arrays.equals(a.getGlobalTransactionId(), b.getGlobalTransactionId())
                    && Arrays.equals(a.getBranchQualifier(), b.getBranchQualifier());
        }
    }
}
