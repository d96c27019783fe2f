package io.pgtier.spi;

import io.pgtier.api.TierId;
import io.pgtier.api.TieredConnection;
import jakarta.resource.ResourceException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.SQLClientInfoException;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Executor;
import org.postgresql.PGConnection;

/**
 * What a bean holds: a {@link Connection} that knows only its managed connection and whether it is
 * closed (the HikariCP {@code ProxyConnection} / IronJacamar {@code WrappedConnection} shape).
 *
 * <ul>
 *   <li><b>Closed.</b> {@link #close()} is one compare-and-set: of a bean's {@code close()} and the
 *       container's end-of-transaction cleanup on another thread (a transaction timeout), exactly
 *       one hands the handle back. Every later call fails with 08003 and a clear message, never a
 *       {@code NullPointerException}.</li>
 *   <li><b>The container's transaction.</b> While it owns the session (a local transaction or an
 *       XA branch), {@code commit}, {@code rollback} and {@code setAutoCommit(true)} are refused
 *       with 2D000; savepoints stay allowed.</li>
 *   <li><b>Session state.</b> What a bean changes beyond its transaction is recorded in the managed
 *       connection's {@link SessionReset} before it changes, so the return undoes exactly that.</li>
 *   <li><b>Statements</b> are bound to the session they were made on ({@link JdbcProxy}) and are
 *       closed with the handle, or when the container moves it to another managed connection
 *       ({@link #moveTo}).</li>
 * </ul>
 */
final class ConnectionHandle extends DelegatingConnection implements TieredConnection {

    private static final VarHandle CLOSED;

    static {
        try {
            CLOSED = MethodHandles.lookup().findVarHandle(ConnectionHandle.class, "closed", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Why every call is refused, or {@code null}: a handle given out in a doomed transaction (see {@link PoolTransactions}). */
    private final SQLException refusal;
    private volatile PgTierManagedConnection owner;
    @SuppressWarnings("unused") // through CLOSED
    private volatile boolean closed;
    private volatile Object transaction;
    private volatile AcquisitionSite acquiredAt;
    private final List<Statement> statements = new ArrayList<>();

    ConnectionHandle(PgTierManagedConnection owner, SQLException refusal) {
        this.owner = owner;
        this.refusal = refusal;
    }

    PgTierManagedConnection owner() {
        return owner;
    }

    /**
     * The container moves this handle to {@code to} (to share a local transaction): any handle of
     * the same pool may move, unless its session holds uncommitted work, which would be left behind
     * or split over two sessions. Statements made on the old session are closed, not carried over.
     */
    void moveTo(PgTierManagedConnection to) throws ResourceException {
        PgTierManagedConnection from = owner;
        if (from == to) {
            return;
        }
        if (closed) {
            throw new ResourceException(Messages.handleClosed());
        }
        if (from != null) {
            if (from.pool().newest() != to.pool().newest()) { // a pool Payara re-created is the same pool
                throw new ResourceException(Messages.foreignHandle(this));
            }
            if (from.holdsUncommittedWork()) {
                throw new ResourceException(Messages.uncommittedWorkMoved(from.pool().name(), from.tier().id().label()));
            }
            from.handles().remove(this);
        }
        owner = to;
        closeStatements();
        to.adopt(this);
        if (closed) {
            // Closed while it moved: the new connection must not keep it.
            to.handles().remove(this);
        }
    }

    /** This handle was created inside a container transaction, at {@code site} if recorded: it is closed when that ends. */
    void enteredTransaction(Object transactionKey, AcquisitionSite site) {
        this.transaction = transactionKey;
        this.acquiredAt = site;
    }

    Object transaction() {
        return transaction;
    }

    /** Where the bean acquired it, or how to find out. */
    String acquiredAt() {
        AcquisitionSite site = acquiredAt;
        return site == null ? "(not recorded: set recordAcquisitionSite=true to log where)" : site.toString();
    }

    @Override
    Connection delegate() throws SQLException {
        return open().physical().logical();
    }

    @Override
    SQLException onError(SQLException e) {
        PgTierManagedConnection current = owner;
        if (current != null) {
            current.onError(e);
        }
        return e;
    }

    private PgTierManagedConnection open() throws SQLException {
        PgTierManagedConnection current = owner;
        if (closed || current == null) {
            throw new SQLException(Messages.handleClosed(), "08003");
        }
        if (refusal != null) {
            throw new SQLException(refusal.getMessage(), refusal.getSQLState(), refusal);
        }
        return current;
    }

    // ---- the container's transaction

    private void refuseInsideContainerTransaction(PgTierManagedConnection current, String action) throws SQLException {
        if (current.inContainerTransaction()) {
            throw new SQLException(Messages.containerOwnsTransaction(current.pool().name(), action), "2D000");
        }
    }

    @Override
    public void commit() throws SQLException {
        PgTierManagedConnection current = open();
        refuseInsideContainerTransaction(current, "commit()");
        // Watched like a statement, and 08007 when the connection breaks with the commit under way.
        current.fitness().executionStarted();
        try {
            current.physical().logical().commit();
        } catch (SQLException e) {
            current.onError(e);
            throw PgLocalTransaction.outcomeOf(current, "commit()", e);
        } finally {
            current.fitness().executionEnded();
        }
    }

    @Override
    public void rollback() throws SQLException {
        refuseInsideContainerTransaction(open(), "rollback()");
        run(Connection::rollback);
    }

    @Override
    public void setAutoCommit(boolean autoCommit) throws SQLException {
        if (autoCommit) {
            refuseInsideContainerTransaction(open(), "setAutoCommit(true)");
        }
        run(c -> c.setAutoCommit(autoCommit));
    }

    // ---- session state the managed connection resets before the next bean

    @Override
    void touch(int what) throws SQLException {
        PgTierManagedConnection current = open();
        try {
            current.reset().touch(what, current.physical().session());
        } catch (SQLException e) {
            throw onError(e);
        }
    }

    /**
     * SQL about to go to the session of {@code on}: marked for the reset when it may change the
     * session, refused (2D000) when it would end the container's transaction (see {@link SessionSql}).
     */
    int sqlSent(PgTierManagedConnection on, String sql) throws SQLException {
        int effects = SessionSql.effects(sql);
        if (effects == 0) {
            return 0;
        }
        if ((effects & SessionSql.ENDS_TRANSACTION) != 0) {
            refuseTransactionControl(on);
        }
        on.reset().sqlSent(effects);
        return effects;
    }

    /**
     * What the handle gave out on {@code session} (a statement, a result set, the driver's API)
     * works only while the handle is open and still on that session: closed (08003), or moved by
     * the container to another session (55000), that session may serve another bean now.
     */
    void requireOn(PgTierManagedConnection session) throws SQLException {
        if (owner != session) {
            throw closed ? new SQLException(Messages.handleClosed(), "08003")
                    : new SQLException(Messages.statementOfOtherSession(session.pool().name(), session.tier().id().label()),
                            "55000");
        }
    }

    /** SQL that ends a transaction, refused while the container's transaction owns {@code on}'s session. */
    void refuseTransactionControl(PgTierManagedConnection on) throws SQLException {
        refuseInsideContainerTransaction(on, "transaction control in SQL");
    }

    // ---- statements: bound to this session, errors classified, getConnection() gives this handle

    @Override
    <T extends Statement> T statement(Class<T> type, String sql, SqlCall<T> create) throws SQLException {
        PgTierManagedConnection on = open();
        int effects = sqlSent(on, sql);
        T proxy = JdbcProxy.wrap(this, on, type, call(create), null, effects);
        synchronized (this) {
            statements.add(proxy);
        }
        if (closed) {
            // Closed while the statement was being made: closeStatements() may have run before the add.
            closeStatements();
            throw new SQLException(Messages.handleClosed(), "08003");
        }
        return proxy;
    }

    @Override
    public DatabaseMetaData getMetaData() throws SQLException {
        PgTierManagedConnection on = open();
        return JdbcProxy.wrap(this, on, DatabaseMetaData.class, call(Connection::getMetaData), null);
    }

    synchronized void untrack(Statement statement) {
        statements.remove(statement);
    }

    // ---- lifecycle

    /** Closes the handle and returns it to its managed connection; of concurrent calls, one does. */
    @Override
    public void close() throws SQLException {
        PgTierManagedConnection current = closeOnce();
        if (current != null) {
            current.handleClosed(this, false);
        }
    }

    /**
     * Closes the handle without telling its managed connection, and says whether this call was the
     * one that closed it: the owner it had then, or {@code null} when it was already closed.
     */
    PgTierManagedConnection closeOnce() {
        PgTierManagedConnection current = claim();
        if (current != null) {
            closeStatements();
        }
        return current;
    }

    /**
     * The compare-and-set of {@link #closeOnce} alone: marks the handle closed and returns its
     * owner, or {@code null} when another thread closed it first. Its statements are left for the
     * caller to close ({@link #closeStatements}): after the socket, when one may still run on a
     * hung server.
     */
    PgTierManagedConnection claim() {
        if (!CLOSED.compareAndSet(this, false, true)) {
            return null;
        }
        PgTierManagedConnection current = owner;
        owner = null;
        return current;
    }

    void closeStatements() {
        List<Statement> open;
        synchronized (this) {
            if (statements.isEmpty()) {
                return;
            }
            open = new ArrayList<>(statements);
            statements.clear();
        }
        for (Statement s : open) {
            try {
                s.close();
            } catch (SQLException ignored) {
                // A statement of a dead session cannot be closed any better.
            }
        }
    }

    @Override
    public boolean isClosed() {
        return closed;
    }

    @Override
    public boolean isValid(int timeoutSeconds) throws SQLException {
        if (closed || refusal != null) {
            return false;
        }
        return delegate().isValid(timeoutSeconds);
    }

    /**
     * Ends the physical session at once (JDBC 4.1): the managed connection is then destroyed by the
     * container, never reused.
     */
    @Override
    public void abort(Executor executor) throws SQLException {
        PgTierManagedConnection current = owner;
        if (current == null || closed) {
            return;
        }
        current.abortByBean(executor);
    }

    /**
     * {@code unwrap(PGConnection.class)} gives the driver's API (COPY, LISTEN/NOTIFY, large objects)
     * through a proxy that has no {@code close()}: the bean cannot end the pool's session. The
     * driver's settings it can change there are reset on return.
     */
    @Override
    public <T> T unwrap(Class<T> type) throws SQLException {
        if (type.isInstance(this)) {
            return type.cast(this);
        }
        if (type == PGConnection.class) {
            PgTierManagedConnection on = open();
            touch(SessionReset.DRIVER);
            return type.cast(JdbcProxy.wrap(this, on, PGConnection.class, call(c -> c.unwrap(PGConnection.class)), null));
        }
        throw new SQLException(Messages.cannotUnwrap(type), "0A000");
    }

    @Override
    public TierId tier() {
        PgTierManagedConnection current = owner;
        if (current == null) {
            throw new IllegalStateException(Messages.handleClosed());
        }
        return current.tier().id();
    }

    @Override
    public boolean isWrapperFor(Class<?> type) {
        return type.isInstance(this) || type == PGConnection.class;
    }

    @Override
    public String toString() {
        PgTierManagedConnection current = owner;
        return "pgtier connection " + (closed ? "(closed)" : current == null ? "(dissociated)" : "on " + current.describe());
    }
}
