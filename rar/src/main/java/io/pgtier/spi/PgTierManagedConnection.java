package io.pgtier.spi;

import io.pgtier.pg.PgPhysical;
import io.pgtier.pg.SqlStates;
import io.pgtier.tier.Acquired;
import io.pgtier.tier.Tier;
import jakarta.resource.ResourceException;
import jakarta.resource.spi.ConnectionEvent;
import jakarta.resource.spi.ConnectionEventListener;
import jakarta.resource.spi.ConnectionRequestInfo;
import jakarta.resource.spi.LocalTransaction;
import jakarta.resource.spi.ManagedConnection;
import jakarta.resource.spi.ManagedConnectionMetaData;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.security.auth.Subject;
import javax.transaction.xa.XAResource;

/**
 * One physical PostgreSQL session in the container's pool: the session, the tier it came from
 * (whose cap slot it holds until {@link #destroy()}), its handles and its listeners.
 *
 * <p><b>Errors.</b> Every {@link SQLException} a bean sees passes through {@link #onError}: a fatal
 * one (see {@code SqlStates}) marks this connection broken, marks the running JTA transaction
 * rollback-only (an {@code SQLException} is an application exception, so the container would not
 * roll back by itself) and fires {@code CONNECTION_ERROR_OCCURRED} on the thread that got the
 * error, so the container destroys it. The work never continues on another tier: only creating a
 * new managed connection chooses a tier.
 *
 * <p><b>Retiring.</b> A connection that should not be reused — its tier went down or was drained,
 * failback started a new tier generation, its server was demoted, or it outlived
 * {@code maxLifetimeSeconds} — is never taken from a bean: {@link #isUsable()} turns false, so
 * matching skips it and {@code getInvalidConnections} reports it when idle, and when its last
 * handle is closed outside a transaction it is returned with {@code CONNECTION_ERROR_OCCURRED}
 * instead of {@code CONNECTION_CLOSED}, which ends it.
 *
 * <p><b>Container-scoped cleanup.</b> A handle created inside a JTA transaction is closed for the
 * bean when that transaction completes, if the bean forgot: an interposed {@code Synchronization}
 * (registered once per transaction) closes it, counts and logs the leak with where it was acquired,
 * and fires {@code CONNECTION_CLOSED} so the container gets the connection back. Handles obtained
 * outside a transaction may legally be kept across transactions and are left alone.
 */
final class PgTierManagedConnection implements ManagedConnection {

    private static final Logger LOG = Logger.getLogger(PgTierManagedConnection.class.getName());

    private final PoolRuntime pool;
    private final PgPhysical physical;
    private final Tier tier;
    private final SessionFitness fitness;
    private final long openedAtMillis;
    private final String server;
    private final Credentials credentials;
    private final Set<ConnectionHandle> handles = ConcurrentHashMap.newKeySet();
    private final List<ConnectionEventListener> listeners = new CopyOnWriteArrayList<>();
    private final PgLocalTransaction localTransaction;
    private final AtomicBoolean destroyed = new AtomicBoolean();
    private final AtomicBoolean slotReleased = new AtomicBoolean();
    private volatile boolean broken;
    private volatile boolean sessionChanged;
    private volatile Object watchedTransaction;
    private PrintWriter logWriter;

    PgTierManagedConnection(PoolRuntime pool, Acquired<PgPhysical> acquired, Credentials credentials) {
        this.pool = pool;
        this.physical = acquired.connection();
        this.tier = acquired.tier();
        this.fitness = new SessionFitness(pool, tier, acquired.generation());
        this.credentials = credentials;
        // After the session was opened: one opened on a server that since restarted is older than its start.
        this.openedAtMillis = System.currentTimeMillis();
        this.server = serverOf(physical);
        this.localTransaction = new PgLocalTransaction(this);
    }

    Connection logical() {
        return physical.logical();
    }

    /** The session behind {@link #logical()}, for cheap state reads only (see {@link PgPhysical}). */
    Connection session() {
        return physical.session();
    }

    Tier tier() {
        return tier;
    }

    /** When the session was opened, by the wall clock (compared with a server's start time). */
    long openedAtMillis() {
        return openedAtMillis;
    }

    /** A statement (or commit) starts on the session; the monitor probes the tier if it does not return. */
    void executionStarted() {
        fitness.executionStarted();
    }

    void executionEnded() {
        fitness.executionEnded();
    }

    /** When the statement now executing started ({@link System#nanoTime()}), 0 when none is. */
    long executingSince() {
        return fitness.executingSince();
    }

    boolean stalledBefore(long nanos) {
        return fitness.stalledBefore(nanos);
    }

    /** See {@link SessionFitness}: one bounded round trip after a fault on the tier, none otherwise. */
    boolean validIfSuspect() {
        return fitness.validIfSuspect(physical.session());
    }

    /** The server ({@code host:port}) the session is on; one of the tier URL's hosts. */
    String server() {
        return server;
    }

    private static String serverOf(PgPhysical physical) {
        try {
            return PgPhysical.serverOf(physical.session());
        } catch (SQLException | RuntimeException e) {
            return "";
        }
    }

    PoolRuntime pool() {
        return pool;
    }

    Credentials credentials() {
        return credentials;
    }

    String describe() {
        return "tier " + tier.id().label() + " of pool " + pool.name();
    }

    // ---- handles

    @Override
    public Object getConnection(Subject subject, ConnectionRequestInfo info) throws ResourceException {
        ConnectionHandle handle = new ConnectionHandle(this);
        handles.add(handle);
        pool.recordCheckout(tier);
        if (pool.closesLeaksAtCompletion()) {
            Object transaction = pool.transactionKey();
            if (transaction != null) {
                handle.enteredTransaction(transaction, pool.recordsAcquisitionSite() ? AcquisitionSite.capture() : null);
                watch(transaction);
            }
        }
        return handle;
    }

    /** Registers the end-of-transaction cleanup once per transaction this connection takes part in. */
    private void watch(Object transaction) {
        if (transaction == watchedTransaction) {
            return;
        }
        watchedTransaction = transaction;
        pool.afterCompletion(new jakarta.transaction.Synchronization() {
            @Override
            public void beforeCompletion() {
                // nothing: the bean may still use its connection until the transaction ends
            }

            @Override
            public void afterCompletion(int status) {
                transactionEnded(transaction);
            }
        });
    }

    /**
     * The transaction this connection took part in has ended: closes the handles of it the bean
     * left open, handing the connection back, and retires the connection now if it became due while
     * the transaction still needed it (failback, drain, lifetime).
     */
    void transactionEnded(Object transaction) {
        if (watchedTransaction == transaction) {
            watchedTransaction = null;
        }
        boolean closedHere = false;
        for (ConnectionHandle handle : handles) {
            if (handle.transaction() == transaction && !handle.isClosed()) {
                pool.recordLeak();
                LOG.warning(Messages.leakClosed(pool.name(), tier.id().label(), handle.acquiredAt()));
                handle.invalidate();
                handleClosed(handle, true);
                closedHere = true;
            }
        }
        if (!closedHere && handles.isEmpty() && !isUsable() && !broken) {
            fire(ConnectionEvent.CONNECTION_ERROR_OCCURRED, null,
                    new SQLException(Messages.retired(pool.name(), tier.id().label(), retireReason()), "08003"));
        }
    }

    /**
     * Payara moves handles between managed connections of one pool to share a local transaction:
     * any pgtier handle of the same pool is accepted, and every structure follows it.
     */
    @Override
    public void associateConnection(Object connection) throws ResourceException {
        if (!(connection instanceof ConnectionHandle handle)) {
            throw new ResourceException(Messages.foreignHandle(connection));
        }
        PgTierManagedConnection previous = handle.owner();
        if (previous == this) {
            return;
        }
        if (previous != null && previous.pool != pool) {
            throw new ResourceException(Messages.foreignHandle(connection));
        }
        if (previous != null) {
            previous.handles.remove(handle);
        }
        handle.reassign(this);
        handles.add(handle);
        if (handle.transaction() != null) {
            watch(handle.transaction());
        }
    }

    /**
     * A handle was closed (by the bean, or at transaction end when {@code transactionOver}): tell
     * the container, or retire the connection if it is due and no transaction still needs it.
     */
    void handleClosed(ConnectionHandle handle, boolean transactionOver) {
        handles.remove(handle);
        if (handles.isEmpty() && !isUsable()) {
            Object transaction = transactionOver ? null : pool.transactionKey();
            if (transaction == null && !localTransaction.isActive()) {
                LOG.fine(() -> Messages.retired(pool.name(), tier.id().label(), retireReason()));
                fire(ConnectionEvent.CONNECTION_ERROR_OCCURRED, handle,
                        new SQLException(Messages.retired(pool.name(), tier.id().label(), retireReason()), "08003"));
                return;
            }
            if (transaction != null) {
                // The transaction still needs this connection: retire it when the transaction ends.
                watch(transaction);
            }
        }
        fire(ConnectionEvent.CONNECTION_CLOSED, handle, null);
    }

    /**
     * Whether the container's local transaction owns the session now: begun by the container, not
     * yet committed or rolled back by it. (An XA branch is guarded by pgjdbc's own XA connection,
     * which refuses commit, rollback and autocommit while the branch is active.)
     */
    boolean inContainerTransaction() {
        return localTransaction.isActive();
    }

    void sessionChanged() {
        sessionChanged = true;
    }

    // ---- errors

    /** The one place an error is judged; fires the error event on the calling thread when fatal. */
    void onError(SQLException e) {
        if (broken || !pool.isFatal(e)) {
            return;
        }
        broken = true;
        pool.onFatal(tier, e);
        pool.markRollbackOnly();
        LOG.log(Level.WARNING, "pgtier[{0}] connection on tier {1} ended by {2} {3}",
                new Object[] {pool.name(), tier.id().label(), e.getSQLState(), Messages.firstLine(e.getMessage())});
        fire(ConnectionEvent.CONNECTION_ERROR_OCCURRED, null, e);
    }

    /** A bean's {@code abort}: the session ends at once and the container is told, on the bean's thread. */
    void abortByBean(Executor executor) throws SQLException {
        physical.logical().abort(executor);
        onError(new SQLException(Messages.abortedByBean(pool.name()), SqlStates.CONNECTION_DOES_NOT_EXIST));
    }

    /**
     * The monitor's verdict on this connection's tier: the socket is closed now (pgjdbc's
     * {@code abort}). No event is fired here, on the monitor's thread: a bean blocked on the session
     * gets an I/O error and its own thread fires the error event; an idle connection is no longer
     * usable, so the container drops it when it next validates.
     */
    void abortForTierDown() {
        fitness.markAborted();
        try {
            physical.logical().abort(Runnable::run);
        } catch (SQLException | RuntimeException e) {
            LOG.log(Level.FINE, "pgtier: abort of a session on a down tier", e);
        }
        // The session is gone: its slot of the tier's cap is free now, not when the container
        // gets round to destroying this connection (which may be minutes for an idle one).
        releaseSlot();
    }

    private void releaseSlot() {
        if (slotReleased.compareAndSet(false, true)) {
            tier.release();
        }
    }

    /** Whether this connection may serve another request; see {@link SessionFitness} for when not. */
    boolean isUsable() {
        return retireReason() == null;
    }

    private String retireReason() {
        return fitness.retireReason(broken || destroyed.get(), physical.session());
    }


    // ---- lifecycle

    /**
     * Back to the pool: handles are invalidated and session state a bean may have changed is reset,
     * so the next bean gets a clean session. Autocommit and read-only are cached by pgjdbc (no round
     * trip); the rest is reset only when a handle changed it.
     */
    @Override
    public void cleanup() throws ResourceException {
        for (ConnectionHandle handle : handles) {
            handle.invalidate();
        }
        handles.clear();
        if (broken || localTransaction.isActive()) {
            return;
        }
        Connection c = physical.logical();
        Connection state = physical.session();
        try {
            if (!state.getAutoCommit()) {
                c.rollback();
                c.setAutoCommit(true);
            }
            if (state.isReadOnly()) {
                c.setReadOnly(false);
            }
            if (sessionChanged) {
                c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
                try (var s = c.createStatement()) {
                    s.execute("RESET ALL");
                }
                sessionChanged = false;
            }
        } catch (SQLException e) {
            onError(e);
            if (!broken) {
                throw new ResourceException(Messages.firstLine(e.getMessage()), e);
            }
        }
    }

    @Override
    public void destroy() {
        if (!destroyed.compareAndSet(false, true)) {
            return;
        }
        for (ConnectionHandle handle : handles) {
            handle.invalidate();
        }
        handles.clear();
        physical.closeQuietly();
        releaseSlot();
        pool.forget(this);
    }

    boolean isDestroyed() {
        return destroyed.get();
    }

    long ageMillis() {
        return TimeUnit.NANOSECONDS.toMillis(fitness.ageNanos());
    }

    // ---- transactions

    @Override
    public XAResource getXAResource() throws ResourceException {
        try {
            return physical.xa().getXAResource();
        } catch (SQLException e) {
            onError(e);
            throw new ResourceException(Messages.firstLine(e.getMessage()), e);
        }
    }

    @Override
    public LocalTransaction getLocalTransaction() {
        return localTransaction;
    }

    // ---- events

    @Override
    public void addConnectionEventListener(ConnectionEventListener listener) {
        listeners.add(listener);
    }

    @Override
    public void removeConnectionEventListener(ConnectionEventListener listener) {
        listeners.remove(listener);
    }

    private void fire(int type, Object handle, Exception error) {
        ConnectionEvent event = error == null ? new ConnectionEvent(this, type) : new ConnectionEvent(this, type, error);
        if (handle != null) {
            event.setConnectionHandle(handle);
        }
        for (ConnectionEventListener listener : listeners) {
            switch (type) {
                case ConnectionEvent.CONNECTION_CLOSED -> listener.connectionClosed(event);
                case ConnectionEvent.CONNECTION_ERROR_OCCURRED -> listener.connectionErrorOccurred(event);
                default -> throw new IllegalArgumentException("event " + type);
            }
        }
    }

    // ---- metadata and logging

    @Override
    public ManagedConnectionMetaData getMetaData() throws ResourceException {
        try {
            var meta = physical.logical().getMetaData();
            return new MetaData(meta.getDatabaseProductName(), meta.getDatabaseProductVersion(),
                    tier.endpoint().maxConnections(), meta.getUserName());
        } catch (SQLException e) {
            onError(e);
            throw new ResourceException(Messages.firstLine(e.getMessage()), e);
        }
    }

    /** What the container shows of the server behind this connection. */
    private record MetaData(String product, String version, int maxConnections, String user)
            implements ManagedConnectionMetaData {

        @Override
        public String getEISProductName() {
            return product;
        }

        @Override
        public String getEISProductVersion() {
            return version;
        }

        @Override
        public int getMaxConnections() {
            return maxConnections;
        }

        @Override
        public String getUserName() {
            return user;
        }
    }

    @Override
    public void setLogWriter(PrintWriter out) {
        this.logWriter = out;
    }

    @Override
    public PrintWriter getLogWriter() {
        return logWriter;
    }

    @Override
    public String toString() {
        return "PgTierManagedConnection[" + describe() + ", handles=" + handles.size() + (broken ? ", broken" : "") + "]";
    }
}
