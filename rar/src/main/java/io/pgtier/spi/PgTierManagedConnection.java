package io.pgtier.spi;

import io.pgtier.pg.PgPhysical;
import io.pgtier.pg.SqlStates;
import io.pgtier.tier.Acquired;
import io.pgtier.tier.Tier;
import jakarta.resource.ResourceException;
import jakarta.resource.spi.ConnectionEventListener;
import jakarta.resource.spi.ConnectionRequestInfo;
import jakarta.resource.spi.LocalTransaction;
import jakarta.resource.spi.ManagedConnection;
import jakarta.resource.spi.ManagedConnectionMetaData;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
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
 * <p><b>State.</b> Its life is a {@link Lifecycle}; what a bean changed on the session is undone by
 * {@link SessionReset} before the next bean; the handles a bean left open in a transaction are
 * closed by {@link TransactionCleanup}; the XA branch is watched by {@link PgXAResource}.
 */
final class PgTierManagedConnection implements ManagedConnection {

    private static final Logger LOG = Logger.getLogger(PgTierManagedConnection.class.getName());

    private final PoolRuntime pool;
    private final PgPhysical physical;
    private final Tier tier;
    private final SessionFitness fitness;
    private final long openedAtMillis;
    private final Credentials credentials;
    private final String server;
    private final Set<ConnectionHandle> handles = ConcurrentHashMap.newKeySet();
    private final ConnectionEvents events = new ConnectionEvents(this);
    private final PgLocalTransaction localTransaction;
    private final SessionReset reset = new SessionReset();
    private final TransactionCleanup transactionCleanup = new TransactionCleanup(this);
    private final PoolPresence presence = new PoolPresence();
    private final SessionEnd end;
    private final PgXAResource.Holder xa = new PgXAResource.Holder(this);
    private PrintWriter logWriter;

    PgTierManagedConnection(PoolRuntime pool, Acquired<PgPhysical> acquired, Credentials credentials) {
        this.pool = pool;
        this.physical = acquired.connection();
        this.tier = acquired.tier();
        this.fitness = new SessionFitness(pool, tier, acquired.generation());
        this.credentials = credentials;
        // After the session was opened: one opened on a server that since restarted is older than its start.
        this.openedAtMillis = System.currentTimeMillis();
        this.server = physical.server();
        this.localTransaction = new PgLocalTransaction(this);
        this.end = new SessionEnd(physical, fitness, tier);
    }

    /** The session: its logical connection, the driver's own for cheap state reads ({@link PgPhysical}), and the XA connection. */
    PgPhysical physical() {
        return physical;
    }

    Tier tier() {
        return tier;
    }

    /** Handed out by the container now, not idle in its pool. */
    boolean inUse() {
        return presence.inUse();
    }

    /** When the session was opened, by the wall clock (compared with a server's start time). */
    long openedAtMillis() {
        return openedAtMillis;
    }

    /** What the monitor watches of the session (statements under way) and whether it may serve again. */
    SessionFitness fitness() {
        return fitness;
    }

    /** See {@link SessionFitness}: one bounded round trip after a fault on the tier, none otherwise. */
    boolean validIfSuspect() {
        return fitness.validIfSuspect(physical.session());
    }

    /** The server ({@code host:port}) the session is on; one of the tier URL's hosts. */
    String server() {
        return server;
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

    @Override
    public Object getConnection(Subject subject, ConnectionRequestInfo info) throws ResourceException {
        presence.taken();
        ConnectionHandle handle = transactionCleanup.newHandle();
        handles.add(handle);
        pool.recordCheckout(tier);
        return handle;
    }

    Set<ConnectionHandle> handles() {
        return handles;
    }

    SessionReset reset() {
        return reset;
    }

    /** For {@link TransactionCleanup}: the transaction ended and no handle was left; retire now if due. */
    void retireIfDue() {
        if (handles.isEmpty() && !isUsable() && events.open()) {
            retire(null);
        }
    }

    /** An operator's drain: ended now if idle in the container's pool ({@link PoolPresence}) and no bean or transaction needs it. */
    void retireIfIdle() {
        int was = presence.claimIfIdle(fitness.ageNanos());
        if (was < 0) {
            return;
        }
        if (handles.isEmpty() && !inContainerTransaction() && !transactionCleanup.watching() && !isUsable()) {
            retire(null);
        } else {
            presence.unclaim(was);
        }
    }

    /** The container takes this connection from its free list (matched for a request): not idle from now. */
    boolean takenFromPool() {
        presence.taken();
        return true;
    }

    /** Returns this connection to the container as an error, which ends it, with why; once. */
    private void retire(Object handle) {
        String why = Messages.retired(pool.name(), tier.id().label(), retireReason());
        if (events.errorOnce(handle, new SQLException(why, "08003"))) {
            LOG.fine(why);
        }
    }

    /**
     * The transaction ended while a statement of a leaked handle still runs (a timeout on another
     * thread): the session is ended, so the statement fails and no other bean gets the session.
     */
    boolean endWhileExecuting(ConnectionHandle handle) {
        if (!events.breakOnce()) {
            return false;
        }
        handles.remove(handle);
        end.closeSocket("whose transaction ended");
        events.error(handle, new SQLException(Messages.endedWhileExecuting(pool.name(), tier.id().label()), "08003"));
        return true;
    }

    /**
     * Payara moves handles between managed connections of one pool to share a local transaction:
     * any pgtier handle of the same pool is accepted, and every structure follows it. A handle
     * whose session holds uncommitted work is refused: moving it would leave that work behind, or
     * split one transaction over two sessions, silently.
     */
    @Override
    public void associateConnection(Object connection) throws ResourceException {
        if (!(connection instanceof ConnectionHandle handle)) {
            throw new ResourceException(Messages.foreignHandle(connection));
        }
        presence.taken();
        handle.moveTo(this);
    }

    /** A handle moved here ({@link ConnectionHandle#moveTo}): it is this connection's now. */
    void adopt(ConnectionHandle handle) {
        handles.add(handle);
        Object transaction = handle.transaction();
        if (transaction != null && transaction.equals(pool.transactions().key())) {
            transactionCleanup.watch(transaction);
        }
    }

    /** Whether the server holds an open transaction on this session: work that must not be left behind. */
    boolean holdsUncommittedWork() {
        return physical.inTransaction();
    }

    /**
     * A handle was closed (by the bean, or at transaction end when {@code transactionOver}): tell
     * the container, or retire the connection if it is due and no transaction still needs it.
     */
    void handleClosed(ConnectionHandle handle, boolean transactionOver) {
        handles.remove(handle);
        if (!events.open()) {
            return; // the error event was fired: the container destroys this connection, never reuses it
        }
        if (handles.isEmpty() && !isUsable()) {
            Object transaction = transactionOver ? null : pool.transactions().key();
            if (transaction == null && !inContainerTransaction()) {
                retire(handle);
                return;
            }
            if (transaction != null) {
                // The transaction still needs this connection: retire it when the transaction ends.
                transactionCleanup.watch(transaction);
            }
        }
        events.closed(handle);
    }

    /**
     * Whether the container's transaction owns the session now: a local transaction it began and
     * has not ended, or an XA branch between {@code start} and {@code end}.
     */
    boolean inContainerTransaction() {
        return localTransaction.isActive() || xa.branchActive();
    }

    /** The one place an error is judged; fires the error event on the calling thread when fatal. */
    void onError(SQLException e) {
        if (events.state() == Lifecycle.DETACHED && pool.isFatal(e)) {
            pool.onFatal(tier, e);
            pool.transactions().markRollbackOnly(tier.id().label()); // the container hears no event of it any more
            return;
        }
        if (!events.open() || !pool.isFatal(e) || !events.breakOnce()) {
            return;
        }
        pool.onFatal(tier, e);
        pool.transactions().markRollbackOnly(tier.id().label());
        LOG.log(Level.WARNING, "pgtier[{0}] connection on tier {1} ended by {2} {3}",
                new Object[] {pool.name(), tier.id().label(), e.getSQLState(), Messages.firstLine(e.getMessage())});
        events.error(null, e);
    }

    /** A bean's {@code abort}: the session ends at once and the container is told, on the bean's thread. */
    void abortByBean(Executor executor) throws SQLException {
        physical.abort(executor);
        onError(new SQLException(Messages.abortedByBean(pool.name()), SqlStates.CONNECTION_DOES_NOT_EXIST));
    }

    /**
     * The monitor's verdict on the tier: socket closed, cap slot freed ({@link SessionEnd}). No event
     * here: a blocked bean's own thread fires it; the container drops an idle one when it validates.
     */
    void abortForTierDown() {
        end.abortForTierDown();
    }

    /** Whether this connection may serve another request; see {@link SessionFitness} for when not. */
    boolean isUsable() {
        return retireReason() == null;
    }

    private String retireReason() {
        return fitness.retireReason(!events.open(), physical.session());
    }

    /**
     * Back to the pool: handles are invalidated and the session is put back as it was handed out
     * ({@link SessionReset}). A local transaction the container began and never ended is rolled
     * back, never passed on to the next bean.
     */
    @Override
    public void cleanup() throws ResourceException {
        if (fitness.executingSince() != 0 && events.breakOnce()) {
            // Returned while a statement of it still runs (another thread of the bean): never reused.
            // The socket goes before the statements: closing one that runs on a hung server would wait.
            end.closeSocket("returned while a statement ran");
            invalidateHandles();
            throw new ResourceException(Messages.endedWhileExecuting(pool.name(), tier.id().label()));
        }
        invalidateHandles();
        if (!events.open()) {
            return;
        }
        try {
            if (localTransaction.abandon()) {
                LOG.warning(Messages.abandonedLocalTransaction(pool.name(), tier.id().label()));
            }
            reset.restore(physical);
            presence.returned();
        } catch (SQLException e) {
            onError(e);
            if (events.open()) {
                throw new ResourceException(Messages.firstLine(e.getMessage()), e);
            }
        }
    }

    /**
     * Ends the session, unless the container destroys it while its local transaction is under way,
     * as Payara does to every connection of a pool it re-creates because a property changed: the
     * session then finishes that transaction and ends after its commit or rollback
     * ({@link #endIfDetached()}); the container, which let it go, hears nothing more.
     */
    @Override
    public void destroy() {
        if (localTransaction.isActive() && events.detach()) {
            LOG.info(Messages.detached(pool.name(), tier.id().label()));
            if (localTransaction.isActive()) {
                return;
            }
        }
        endNow(false);
    }

    /** The container's local transaction ended, or the adapter stops: a connection the container let go ends now. */
    void endIfDetached() {
        endNow(true);
    }

    private void endNow(boolean detachedOnly) {
        if (events.destroyOnce(detachedOnly)) {
            // The session first: closing a statement that still runs on a hung server would wait for it.
            end.close();
            invalidateHandles();
            pool.forget(this);
        }
    }

    private void invalidateHandles() {
        for (ConnectionHandle handle : handles) {
            handle.closeOnce();
        }
        handles.clear();
    }

    @Override
    public XAResource getXAResource() throws ResourceException {
        return xa.get();
    }

    @Override
    public LocalTransaction getLocalTransaction() {
        return localTransaction;
    }

    @Override
    public void addConnectionEventListener(ConnectionEventListener listener) {
        events.add(listener);
    }

    @Override
    public void removeConnectionEventListener(ConnectionEventListener listener) {
        events.remove(listener);
    }

    @Override
    public ManagedConnectionMetaData getMetaData() throws ResourceException {
        return SessionMetaData.of(this);
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
        return "PgTierManagedConnection[" + describe() + ", handles=" + handles.size() + ", " + events.state() + "]";
    }
}
