package io.pgtier.spi;

import jakarta.resource.ResourceException;
import jakarta.transaction.Synchronization;
import java.sql.SQLException;
import java.util.logging.Logger;

/**
 * Container-scoped cleanup for one managed connection: a handle created inside a JTA transaction
 * is closed for the bean when that transaction completes, if the bean forgot. An interposed
 * {@link Synchronization}, registered once per transaction the connection takes part in, closes
 * it, counts and logs the leak with where it was acquired, and tells the container, which gets the
 * connection back. Handles obtained outside a transaction may legally be kept across transactions
 * and are left alone.
 *
 * <p>{@code afterCompletion} may run on another thread than the bean's (a transaction timeout):
 * closing a handle is one compare-and-set, so the bean's own {@code close()} and this cleanup
 * never both hand it back; and a session on which a statement still runs is ended, never returned
 * to the pool for another bean while the first one's statement is on it.
 */
final class TransactionCleanup {

    private static final Logger LOG = Logger.getLogger(TransactionCleanup.class.getName());

    private final PgTierManagedConnection connection;
    private volatile Object watched;

    TransactionCleanup(PgTierManagedConnection connection) {
        this.connection = connection;
    }

    /** A new handle: inside a transaction it is watched, in a doomed one refused. */
    void enter(ConnectionHandle handle) throws ResourceException {
        PoolRuntime pool = connection.pool();
        Object transaction = pool.transactions().key();
        if (transaction == null) {
            return;
        }
        try {
            pool.transactions().refuseIfDoomed(transaction);
        } catch (SQLException e) {
            throw new ResourceException(e.getMessage(), e);
        }
        if (pool.closesLeaksAtCompletion()) {
            handle.enteredTransaction(transaction, pool.recordsAcquisitionSite() ? AcquisitionSite.capture() : null);
            watch(transaction);
        }
    }

    /** Registers the end-of-transaction cleanup once per transaction this connection takes part in. */
    void watch(Object transaction) {
        if (transaction == watched) {
            return;
        }
        watched = transaction;
        connection.pool().transactions().afterCompletion(new Synchronization() {
            @Override
            public void beforeCompletion() {
                // nothing: the bean may still use its connection until the transaction ends
            }

            @Override
            public void afterCompletion(int status) {
                ended(transaction);
            }
        });
    }

    /**
     * The transaction has ended: closes the handles of it the bean left open, handing the
     * connection back, and retires the connection now if it became due while the transaction still
     * needed it (failback, drain, lifetime).
     */
    void ended(Object transaction) {
        if (watched == transaction) {
            watched = null;
        }
        PoolRuntime pool = connection.pool();
        String tier = connection.tier().id().label();
        boolean closedHere = false;
        for (ConnectionHandle handle : connection.handles()) {
            if (handle.transaction() != transaction) {
                continue;
            }
            // Read before closing: closing the handle closes its statements, which may end the one running.
            boolean executing = connection.fitness().executingSince() != 0;
            if (handle.closeOnce() == null) {
                continue;
            }
            pool.recordLeak();
            LOG.warning(Messages.leakClosed(pool.name(), tier, handle.acquiredAt()));
            if (executing) {
                LOG.warning(Messages.endedWhileExecuting(pool.name(), tier));
                connection.endWhileExecuting(handle);
                return;
            }
            connection.handleClosed(handle, true);
            closedHere = true;
        }
        if (!closedHere) {
            connection.retireIfDue();
        }
    }
}
