package io.pgtier.spi;

import jakarta.transaction.Synchronization;
import java.util.logging.Level;
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

    /**
     * A new handle for a bean: inside a transaction it is watched (closed at the end if the bean
     * forgets), in a doomed one it refuses every call. Outside, or with the cleanup off and no
     * transaction doomed, it costs no registry call.
     */
    ConnectionHandle newHandle() {
        PoolRuntime pool = connection.pool();
        PoolTransactions transactions = pool.transactions();
        if (!pool.closesLeaksAtCompletion() && !transactions.anyDoomed()) {
            return new ConnectionHandle(connection, null);
        }
        Object transaction = transactions.key();
        if (transaction == null) {
            return new ConnectionHandle(connection, null);
        }
        ConnectionHandle handle = new ConnectionHandle(connection, transactions.refusalFor(transaction));
        if (pool.closesLeaksAtCompletion()) {
            handle.enteredTransaction(transaction, pool.recordsAcquisitionSite() ? AcquisitionSite.capture() : null);
            watch(transaction);
        }
        return handle;
    }

    /** Whether a transaction this connection took part in has not ended yet. */
    boolean watching() {
        return watched != null;
    }

    /** Registers the end-of-transaction cleanup once per transaction this connection takes part in. */
    void watch(Object transaction) {
        if (transaction == watched) {
            return;
        }
        try {
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
            watched = transaction;
        } catch (RuntimeException e) {
            // The transaction no longer takes synchronizations (marked rollback-only, timed out): the
            // bean's handle still works and its close still returns it; only the safety net is missing.
            LOG.log(Level.FINE, "pgtier: no end-of-transaction cleanup for this transaction", e);
        }
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
            boolean executing = connection.fitness().executingSince() != 0;
            // Claimed first: of this cleanup and the bean's own close(), one acts.
            if (handle.claim() == null) {
                continue;
            }
            pool.recordLeak(connection.tier());
            if (executing && connection.endWhileExecuting(handle)) {
                // The socket is closed first: closing a statement that runs on a hung server would wait for it.
                LOG.warning(Messages.endedWhileExecuting(pool.name(), tier));
                handle.closeStatements();
                return;
            }
            handle.closeStatements();
            LOG.warning(Messages.leakClosed(pool.name(), tier, handle.acquiredAt()));
            connection.handleClosed(handle, true);
            closedHere = true;
        }
        if (!closedHere) {
            connection.retireIfDue();
        }
    }
}
