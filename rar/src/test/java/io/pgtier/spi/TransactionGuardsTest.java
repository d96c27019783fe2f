package io.pgtier.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import io.pgtier.harness.FaultProxy;
import io.pgtier.harness.PgHarness;
import io.pgtier.harness.PgServer;
import jakarta.resource.ResourceException;
import jakarta.resource.spi.ConnectionEvent;
import jakarta.resource.spi.ConnectionEventListener;
import jakarta.resource.spi.LocalTransaction;
import jakarta.resource.spi.LocalTransactionException;
import jakarta.resource.spi.ManagedConnection;
import jakarta.transaction.Status;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import javax.transaction.xa.XAException;
import javax.transaction.xa.XAResource;
import javax.transaction.xa.Xid;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.postgresql.PGConnection;

/**
 * The handle's guards around the container's transaction, one test per way it used to break:
 * statements across {@code associateConnection}, a close racing the end of the transaction,
 * rollback-only that could fail silently, a commit whose outcome is unknown, and the XA branch.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TransactionGuardsTest {

    private PgHarness harness;
    private PgServer server;
    private FaultProxy route;
    private TestPool pool;
    private TestPool routed;
    /** Not the common pool: on 2 cores it has one thread, which a blocked statement would hold. */
    private final java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newCachedThreadPool();

    @BeforeAll
    void start() throws Exception {
        harness = PgHarness.create();
        server = harness.startPrimary("guards");
        server.execute("CREATE TABLE work(id int PRIMARY KEY)");
        route = harness.proxy("guards-route", server);
        pool = TestPool.start(TestPool.factory("guards", "READ_WRITE", server.jdbcUrl(), null, null));
        routed = TestPool.start(TestPool.factory("routed", "READ_WRITE", route.jdbcUrl(), null, null));
    }

    @AfterAll
    void stop() {
        pool.close();
        routed.close();
        threads.shutdownNow();
        harness.close();
    }

    // ---- associateConnection

    @Test
    @DisplayName("a statement made before the container moved its handle refuses to run (55000), on neither session")
    void statementsStayWithTheirSession() throws Exception {
        ManagedConnection first = pool.factory.createManagedConnection(null, null);
        ManagedConnection second = pool.factory.createManagedConnection(null, null);
        try {
            Connection handle = (Connection) first.getConnection(null, null);
            Statement before = handle.createStatement();

            second.associateConnection(handle);

            SQLException refused = catchThrowableOfType(SQLException.class, () -> before.executeQuery("SELECT 1"));
            assertThat((Throwable) refused).as("the old statement must not run on the first session").isNotNull();
            assertThat(refused.getSQLState()).isIn("55000");
            assertThat(((PgTierManagedConnection) second).isUsable()).as("nothing charged to the new session").isTrue();
            assertThat(((PgTierManagedConnection) first).isUsable()).isTrue();
            try (Statement after = handle.createStatement(); ResultSet rs = after.executeQuery("SELECT pg_backend_pid()")) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(((PgTierManagedConnection) second).physical().session()
                        .unwrap(PGConnection.class).getBackendPID());
            }
        } finally {
            first.destroy();
            second.destroy();
        }
    }

    @Test
    @DisplayName("associateConnection refuses to move a handle whose session holds uncommitted work; the work stays")
    void uncommittedWorkIsNotMoved() throws Exception {
        ManagedConnection first = pool.factory.createManagedConnection(null, null);
        ManagedConnection second = pool.factory.createManagedConnection(null, null);
        try {
            Connection handle = (Connection) first.getConnection(null, null);
            handle.setAutoCommit(false);
            handle.createStatement().execute("INSERT INTO work VALUES (1)");

            ResourceException refused = catchThrowableOfType(ResourceException.class, () -> second.associateConnection(handle));

            assertThat(refused).isNotNull();
            assertThat(refused.getMessage()).contains("PGT-219").contains("pgtier[guards]");
            assertThat(((ConnectionHandle) handle).owner()).isSameAs(first);
            handle.commit();
            assertThat(count("SELECT count(*) FROM work WHERE id = 1")).as("committed on the session it was done on").isEqualTo(1);
            second.associateConnection(handle);
            assertThat(((ConnectionHandle) handle).owner()).as("nothing open: it may move").isSameAs(second);
        } finally {
            first.destroy();
            second.destroy();
            server.execute("DELETE FROM work");
        }
    }

    // ---- close racing the end of the transaction

    @Test
    @DisplayName("a bean's close() racing afterCompletion on another thread: one CONNECTION_CLOSED per handle, 20,000 times")
    void closeRacesTransactionEnd() throws Exception {
        ManagedConnection mc = pool.factory.createManagedConnection(null, null);
        Events events = new Events();
        mc.addConnectionEventListener(events);
        int rounds = 20_000;
        Connection[] current = new Connection[1];
        java.util.concurrent.atomic.AtomicInteger started = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger finished = new java.util.concurrent.atomic.AtomicInteger();
        // The two sides are released by a spin, not a barrier (whose wake-up skew is microseconds), and the
        // bean waits a different few hundred nanoseconds each round, so their close attempts overlap.
        Future<?> bean = threads.submit(() -> {
            java.util.SplittableRandom random = new java.util.SplittableRandom(42);
            for (int i = 1; i <= rounds; i++) {
                while (started.get() < i) {
                    Thread.onSpinWait();
                }
                long until = System.nanoTime() + random.nextInt(1_500);
                while (System.nanoTime() < until) {
                    Thread.onSpinWait();
                }
                try {
                    current[0].close();
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
                finished.incrementAndGet();
            }
            return null;
        });
        try {
            for (int i = 1; i <= rounds; i++) {
                pool.transactions.begin();
                Connection handle = (Connection) mc.getConnection(null, null);
                current[0] = handle;
                started.set(i);
                pool.transactions.complete(Status.STATUS_ROLLEDBACK);
                while (finished.get() < i) {
                    Thread.onSpinWait();
                }
                long closedEvents = events.closed.stream().filter(e -> e.getConnectionHandle() == handle).count();
                assertThat(closedEvents).as("CONNECTION_CLOSED events for handle %d", i).isEqualTo(1);
                events.closed.clear();
            }
            bean.get(10, TimeUnit.SECONDS);
            assertThat(events.errors).isEmpty();
            assertThat(((PgTierManagedConnection) mc).handles()).isEmpty();
        } finally {
            bean.cancel(true);
            mc.destroy();
        }
    }

    @Test
    @DisplayName("the transaction ends (a timeout) while a leaked handle's statement runs: the session is ended, not reused")
    void transactionEndsWhileAStatementRuns() throws Exception {
        ManagedConnection mc = pool.factory.createManagedConnection(null, null);
        Events events = new Events();
        mc.addConnectionEventListener(events);
        try {
            pool.transactions.begin();
            Connection handle = (Connection) mc.getConnection(null, null);
            int pid = handle.unwrap(PGConnection.class).getBackendPID();
            CompletableFuture<Throwable> statement = executing(mc, handle, "SELECT pg_sleep(4)");

            pool.transactions.complete(Status.STATUS_ROLLEDBACK);

            assertThat(statement.get(10, TimeUnit.SECONDS)).as("the running statement fails").isInstanceOf(SQLException.class);
            assertThat(events.closed).as("never handed back for reuse").isEmpty();
            assertThat(events.errors).hasSize(1);
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> count("SELECT count(*) FROM pg_stat_activity WHERE pid = " + pid) == 0);
        } finally {
            mc.destroy();
        }
    }

    @Test
    @DisplayName("the container returns a connection while another thread of the bean still runs a statement on it: ended, not reused")
    void returnedWhileAStatementRuns() throws Exception {
        ManagedConnection mc = pool.factory.createManagedConnection(null, null);
        try {
            Connection handle = (Connection) mc.getConnection(null, null);
            CompletableFuture<Throwable> statement = executing(mc, handle, "SELECT pg_sleep(4)");

            ResourceException refused = catchThrowableOfType(ResourceException.class, mc::cleanup);

            assertThat(refused).as("cleanup refuses, so the container destroys it").isNotNull();
            assertThat(refused.getMessage()).contains("PGT-225");
            assertThat(statement.get(10, TimeUnit.SECONDS)).isInstanceOf(SQLException.class);
            assertThat(((PgTierManagedConnection) mc).isUsable()).isFalse();
        } finally {
            mc.destroy();
        }
    }

    @Test
    @DisplayName("a transaction that takes no more synchronizations (rollback-only in Payara's JTS): the bean still gets and returns its connection")
    void synchronizationRefused() throws Exception {
        ManagedConnection mc = pool.factory.createManagedConnection(null, null);
        Events events = new Events();
        mc.addConnectionEventListener(events);
        pool.transactions.begin();
        pool.transactions.refuseSynchronizations(true);
        try {
            Connection handle = (Connection) mc.getConnection(null, null);
            assertThat(handle.isValid(2)).isTrue();
            handle.close();
            assertThat(events.closed).as("returned").hasSize(1);
        } finally {
            pool.transactions.refuseSynchronizations(false);
            pool.transactions.complete(Status.STATUS_ROLLEDBACK);
            mc.destroy();
        }
    }

    // ---- rollback-only

    @Test
    @DisplayName("without a transaction registry the pool refuses to take part in a transaction (PGT-221)")
    void noRegistryNoTransaction() throws Exception {
        TestPool bare = TestPool.start(TestPool.factory("bare", "READ_WRITE", server.jdbcUrl(), null, null));
        bare.adapter.useTransactionSynchronizationRegistry(null);
        ManagedConnection mc = bare.factory.createManagedConnection(null, null);
        try {
            LocalTransactionException local = catchThrowableOfType(LocalTransactionException.class,
                    () -> mc.getLocalTransaction().begin());
            assertThat(local).isNotNull();
            assertThat(local.getMessage()).contains("PGT-221").contains("pgtier[bare]");
            XAException xa = catchThrowableOfType(XAException.class,
                    () -> mc.getXAResource().start(xid("no-registry"), XAResource.TMNOFLAGS));
            assertThat(xa).isNotNull();
            assertThat(xa.getMessage()).contains("PGT-221");
            Connection plain = (Connection) mc.getConnection(null, null);
            assertThat(plain.getAutoCommit()).as("outside a transaction it works").isTrue();
        } finally {
            mc.destroy();
            bare.close();
        }
    }

    @Test
    @DisplayName("a fatal error marks the transaction rollback-only; when that fails: SEVERE, and the transaction gets no"
            + " other connection of the pool")
    void rollbackOnlyIsHard() throws Exception {
        pool.transactions.begin();
        try (Connection c = pool.connection()) {
            kill(c);
            catchThrowableOfType(SQLException.class, () -> c.createStatement().execute("SELECT 1"));
        }
        assertThat(pool.transactions.getRollbackOnly()).isTrue();
        pool.transactions.complete(Status.STATUS_ROLLEDBACK);

        List<LogRecord> severe = new CopyOnWriteArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord r) {
                if (r.getLevel() == Level.SEVERE) {
                    severe.add(r);
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger log = Logger.getLogger(PoolTransactions.class.getName());
        log.addHandler(capture);
        pool.transactions.begin();
        pool.transactions.refuseRollbackOnly(true);
        try {
            try (Connection c = pool.connection()) {
                kill(c);
                catchThrowableOfType(SQLException.class, () -> c.createStatement().execute("SELECT 1"));
            }
            assertThat(severe).singleElement().satisfies(r -> assertThat(r.getMessage())
                    .contains("PGT-222").contains("pgtier[guards]").contains("tier primary"));

            Connection doomed = pool.connection();
            SQLException refused = catchThrowableOfType(SQLException.class, () -> doomed.createStatement().execute("SELECT 1"));

            assertThat((Throwable) refused).as("no work on another connection in the doomed transaction").isNotNull();
            assertThat(refused.getMessage()).contains("PGT-223");
            assertThat(refused.getSQLState()).isEqualTo("25P02");
            doomed.close();
            assertThat(pool.manager.idleCount()).as("the refused connection went back to the pool").isPositive();
        } finally {
            log.removeHandler(capture);
            pool.transactions.refuseRollbackOnly(false);
            pool.transactions.complete(Status.STATUS_ROLLEDBACK);
        }
        try (Connection c = pool.connection()) {
            assertThat(c.isValid(2)).as("the next transaction is served").isTrue();
        }
    }

    // ---- commit with an unknown outcome

    @Test
    @DisplayName("the connection breaks during commit: 08007 from the container's local commit and from a bean's own")
    void commitOutcomeUnknown() throws Exception {
        ManagedConnection mc = routed.factory.createManagedConnection(null, null);
        try {
            LocalTransaction tx = mc.getLocalTransaction();
            Connection c = (Connection) mc.getConnection(null, null);
            tx.begin();
            c.createStatement().execute("INSERT INTO work VALUES (10)");
            route.reset();

            LocalTransactionException local = catchThrowableOfType(LocalTransactionException.class, tx::commit);

            assertThat(local.getErrorCode()).isEqualTo("08007");
            assertThat(local.getMessage()).contains("PGT-220").contains("pgtier[routed]").contains("unknown");
        } finally {
            route.pass();
            mc.destroy();
        }
        try (Connection c = routed.connection()) {
            c.setAutoCommit(false);
            c.createStatement().execute("INSERT INTO work VALUES (11)");
            route.reset();

            SQLException own = catchThrowableOfType(SQLException.class, c::commit);

            assertThat(own.getSQLState()).isEqualTo("08007");
            assertThat(own.getMessage()).contains("PGT-220");
        } finally {
            route.pass();
        }
    }

    @Test
    @DisplayName("inside the container's transaction, COMMIT or ROLLBACK sent as SQL is refused (2D000); ROLLBACK TO a savepoint is not")
    void transactionControlInSqlRefused() throws Exception {
        ManagedConnection mc = pool.factory.createManagedConnection(null, null);
        try {
            LocalTransaction tx = mc.getLocalTransaction();
            Connection c = (Connection) mc.getConnection(null, null);
            tx.begin();
            c.createStatement().execute("INSERT INTO work VALUES (50)");
            for (String sql : List.of("COMMIT", "end", " /* done */ ROLLBACK", "SELECT 1; COMMIT", "PREPARE TRANSACTION 'x'",
                    "ROLLBACK WORK")) {
                SQLException e = catchThrowableOfType(SQLException.class, () -> c.createStatement().execute(sql));
                assertThat((Throwable) e).as(sql).isNotNull();
                assertThat(e.getSQLState()).as(sql).isEqualTo("2D000");
                assertThat(catchThrowableOfType(SQLException.class, () -> c.prepareStatement(sql)).getSQLState()).isEqualTo("2D000");
            }
            c.createStatement().execute("SAVEPOINT s1");
            c.createStatement().execute("ROLLBACK TO SAVEPOINT s1");
            PGConnection driver = c.unwrap(PGConnection.class);
            assertThat(catchThrowableOfType(SQLException.class, () -> driver.getCopyAPI().copyIn("COMMIT")).getSQLState())
                    .as("COMMIT through the copy API").isEqualTo("2D000");
            tx.rollback();
            assertThat(count("SELECT count(*) FROM work WHERE id = 50")).as("the container's rollback undid it").isZero();
        } finally {
            mc.destroy();
        }
    }

    @Test
    @DisplayName("COMMIT prepared outside the container's transaction and executed inside it is refused there")
    void preparedTransactionControlRefusedWhenExecuted() throws Exception {
        ManagedConnection mc = pool.factory.createManagedConnection(null, null);
        try {
            Connection c = (Connection) mc.getConnection(null, null);
            java.sql.PreparedStatement commit = c.prepareStatement("COMMIT");
            Statement batch = c.createStatement();
            batch.addBatch("COMMIT");
            LocalTransaction tx = mc.getLocalTransaction();
            tx.begin();
            c.createStatement().execute("INSERT INTO work VALUES (60)");

            assertThat(catchThrowableOfType(SQLException.class, commit::execute).getSQLState()).isEqualTo("2D000");
            assertThat(catchThrowableOfType(SQLException.class, batch::executeBatch).getSQLState()).isEqualTo("2D000");

            tx.rollback();
            assertThat(count("SELECT count(*) FROM work WHERE id = 60")).isZero();
        } finally {
            mc.destroy();
        }
    }

    @Test
    @DisplayName("after close, nothing the handle gave out reaches the session: statements, result sets, metadata, the driver's API;"
            + " and nothing unwraps to the driver's own objects")
    void closedHandleReachesNothing() throws Exception {
        Connection c = pool.connection();
        PGConnection driver = c.unwrap(PGConnection.class);
        java.sql.DatabaseMetaData meta = c.getMetaData();
        Statement statement = c.createStatement();
        ResultSet rows = statement.executeQuery("SELECT generate_series(1, 3)");
        assertThat(catchThrowableOfType(SQLException.class, () -> statement.unwrap(org.postgresql.jdbc.PgStatement.class))
                .getSQLState()).as("the driver's statement leads to the session").isEqualTo("0A000");
        assertThat(catchThrowableOfType(SQLException.class, driver::getFastpathAPI).getSQLState()).isEqualTo("0A000");
        c.close();

        assertThat(catchThrowableOfType(SQLException.class, driver::getNotifications).getSQLState()).isEqualTo("08003");
        assertThat(catchThrowableOfType(SQLException.class, () -> meta.getTables(null, null, "%", null)).getSQLState())
                .isEqualTo("08003");
        assertThat(catchThrowableOfType(SQLException.class, () -> statement.execute("SELECT 1")).getSQLState())
                .isEqualTo("08003");
        assertThat(catchThrowableOfType(SQLException.class, rows::next).getSQLState()).isEqualTo("08003");
        ManagedConnection other = pool.factory.createManagedConnection(null, null);
        try {
            assertThat(catchThrowableOfType(ResourceException.class, () -> other.associateConnection(c))).isNotNull();
        } finally {
            other.destroy();
        }
    }

    @Test
    @DisplayName("the transaction ends while a statement hangs on a black-holed route: completion does not wait for it")
    void transactionEndsWhileAStatementHangs() throws Exception {
        ManagedConnection mc = routed.factory.createManagedConnection(null, null);
        Events events = new Events();
        mc.addConnectionEventListener(events);
        try {
            routed.transactions.begin();
            Connection handle = (Connection) mc.getConnection(null, null);
            route.blackhole();
            CompletableFuture<Throwable> statement = executing(mc, handle, "SELECT 1");

            long start = System.nanoTime();
            routed.transactions.complete(Status.STATUS_ROLLEDBACK);
            long tookMillis = (System.nanoTime() - start) / 1_000_000;

            assertThat(tookMillis).as("completion waited for the hung statement (socket timeout 10 s)").isLessThan(5_000);
            assertThat(statement.get(10, TimeUnit.SECONDS)).isInstanceOf(SQLException.class);
            assertThat(events.errors).hasSize(1);
            assertThat(events.closed).isEmpty();
        } finally {
            route.pass();
            mc.destroy();
        }
    }

    // ---- XA

    @Test
    @DisplayName("XA: inside a branch the bean's commit is refused with 2D000; outside it, plain JDBC")
    void xaBranchGuarded() throws Exception {
        ManagedConnection mc = pool.factory.createManagedConnection(null, null);
        Xid xid = xid("guarded");
        try {
            XAResource xa = mc.getXAResource();
            Connection c = (Connection) mc.getConnection(null, null);
            xa.start(xid, XAResource.TMNOFLAGS);
            c.createStatement().execute("INSERT INTO work VALUES (20)");
            for (var refused : List.<org.assertj.core.api.ThrowableAssert.ThrowingCallable>of(
                    c::commit, c::rollback, () -> c.setAutoCommit(true))) {
                SQLException e = catchThrowableOfType(SQLException.class, refused);
                assertThat(e.getSQLState()).isEqualTo("2D000");
                assertThat(e.getMessage()).contains("PGT-217");
            }
            assertThat(catchThrowableOfType(SQLException.class, () -> c.createStatement().execute("COMMIT")).getSQLState())
                    .as("COMMIT as SQL in the branch").isEqualTo("2D000");
            xa.end(xid, XAResource.TMSUCCESS);
            xa.rollback(xid);
            assertThat(count("SELECT count(*) FROM work WHERE id = 20")).isZero();
            assertThat(c.getAutoCommit()).isTrue();
            XAException unknownXid = catchThrowableOfType(XAException.class, () -> xa.commit(xid("never-prepared"), false));
            assertThat(unknownXid.getMessage()).as("a refusal is not an unknown outcome").doesNotContain("PGT-220");
        } finally {
            mc.destroy();
        }
    }

    @Test
    @DisplayName("XA: a lost connection in prepare ends the managed connection, like a statement's")
    void xaErrorsAreFatal() throws Exception {
        ManagedConnection mc = pool.factory.createManagedConnection(null, null);
        Events events = new Events();
        mc.addConnectionEventListener(events);
        Xid xid = xid("fatal");
        try {
            XAResource xa = mc.getXAResource();
            Connection c = (Connection) mc.getConnection(null, null);
            xa.start(xid, XAResource.TMNOFLAGS);
            c.createStatement().execute("INSERT INTO work VALUES (30)");
            xa.end(xid, XAResource.TMSUCCESS);
            kill(c);

            assertThat(catchThrowableOfType(XAException.class, () -> xa.prepare(xid))).isNotNull();

            assertThat(events.errors).as("the container is told").hasSize(1);
            assertThat(((PgTierManagedConnection) mc).isUsable()).isFalse();
        } finally {
            mc.destroy();
        }
    }

    @Test
    @DisplayName("XA: a commit that hangs is watched by the stall check; one that loses its connection says 08007 and"
            + " XAER_RMFAIL, and the prepared branch is recovered")
    void xaCommitWatched() throws Exception {
        ManagedConnection mc = routed.factory.createManagedConnection(null, null);
        Xid xid = xid("watched");
        try {
            XAResource xa = mc.getXAResource();
            Connection c = (Connection) mc.getConnection(null, null);
            xa.start(xid, XAResource.TMNOFLAGS);
            c.createStatement().execute("INSERT INTO work VALUES (40)");
            xa.end(xid, XAResource.TMSUCCESS);
            assertThat(xa.prepare(xid)).isEqualTo(XAResource.XA_OK);
            route.blackhole();
            CompletableFuture<XAException> commit = CompletableFuture.supplyAsync(() -> {
                try {
                    xa.commit(xid, false);
                    return null;
                } catch (XAException e) {
                    return e;
                }
            }, threads);
            await().atMost(Duration.ofSeconds(10)).until(() -> ((PgTierManagedConnection) mc).fitness().executingSince() != 0);

            route.reset();

            XAException failed = commit.get(20, TimeUnit.SECONDS);
            assertThat(failed).isNotNull();
            assertThat(failed.errorCode).isEqualTo(XAException.XAER_RMFAIL);
            assertThat(failed.getMessage()).contains("PGT-220");
            assertThat(((SQLException) failed.getCause()).getSQLState()).isEqualTo("08007");
        } finally {
            route.pass();
            mc.destroy();
        }
        assertThat(count("SELECT count(*) FROM pg_prepared_xacts")).as("in doubt until recovered").isEqualTo(1);
        io.pgtier.ra.HealthMonitor monitor = new io.pgtier.ra.HealthMonitor(routed.adapter.tiers(), Runnable::run, 2, 2,
                routed.factory.runtime());
        monitor.round();
        io.pgtier.api.TierStatus inDoubt = routed.dataSource.status().tiers().get(0);
        assertThat(inDoubt.inDoubt()).as("the probe counts the branch in doubt").isEqualTo(1);
        assertThat(inDoubt.oldestInDoubtAt()).isBefore(java.time.Instant.now().plusSeconds(1));
        ManagedConnection recovery = routed.factory.createManagedConnection(null, null);
        try {
            XAResource xa = recovery.getXAResource();
            assertThat(xa.recover(XAResource.TMSTARTRSCAN | XAResource.TMENDRSCAN)).hasSize(1);
            xa.commit(xid, false);
        } finally {
            recovery.destroy();
        }
        assertThat(count("SELECT count(*) FROM pg_prepared_xacts")).isZero();
        assertThat(count("SELECT count(*) FROM work WHERE id = 40")).isEqualTo(1);
        monitor.round();
        assertThat(routed.dataSource.status().tiers().get(0).inDoubt()).isZero();
        assertThat(routed.dataSource.status().tiers().get(0).oldestInDoubtAt()).isNull();
    }

    // ---- helpers

    private static final class Events implements ConnectionEventListener {
        final List<ConnectionEvent> closed = new CopyOnWriteArrayList<>();
        final List<ConnectionEvent> errors = new CopyOnWriteArrayList<>();

        @Override
        public void connectionClosed(ConnectionEvent event) {
            closed.add(event);
        }

        @Override
        public void connectionErrorOccurred(ConnectionEvent event) {
            errors.add(event);
        }

        @Override
        public void localTransactionStarted(ConnectionEvent event) {
        }

        @Override
        public void localTransactionCommitted(ConnectionEvent event) {
        }

        @Override
        public void localTransactionRolledback(ConnectionEvent event) {
        }
    }

    /**
     * Runs {@code sql} on {@code handle} on another thread, as a bean's second thread or a timed-out
     * transaction's bean would, and returns once the statement executes; the future gives its error.
     * (A {@code pg_sleep} of a few seconds, not longer: a server notices a closed socket only when the
     * statement ends.)
     */
    private CompletableFuture<Throwable> executing(ManagedConnection mc, Connection handle, String sql) {
        CompletableFuture<Throwable> statement = CompletableFuture.supplyAsync(() -> {
            try (Statement s = handle.createStatement()) {
                s.execute(sql);
                return null;
            } catch (SQLException e) {
                return e;
            }
        }, threads);
        await().atMost(Duration.ofSeconds(10)).until(() -> ((PgTierManagedConnection) mc).fitness().executingSince() != 0);
        return statement;
    }

    private void kill(Connection c) throws SQLException {
        int pid = c.unwrap(PGConnection.class).getBackendPID();
        server.execute("SELECT pg_terminate_backend(" + pid + ")");
        await().atMost(Duration.ofSeconds(10)).until(() -> count("SELECT count(*) FROM pg_stat_activity WHERE pid = " + pid) == 0);
    }

    private int count(String sql) throws SQLException {
        try (Connection c = server.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static Xid xid(String name) {
        byte[] gtrid = name.getBytes(StandardCharsets.UTF_8);
        return new Xid() {
            @Override
            public int getFormatId() {
                return 4242;
            }

            @Override
            public byte[] getGlobalTransactionId() {
                return gtrid;
            }

            @Override
            public byte[] getBranchQualifier() {
                return new byte[] {1};
            }
        };
    }
}
