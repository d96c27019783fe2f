package io.pgtier.spi;

import jakarta.transaction.Status;
import jakarta.transaction.Synchronization;
import jakarta.transaction.TransactionSynchronizationRegistry;
import java.sql.SQLException;
import java.util.Collections;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One pool's view of the container's JTA transactions, through the
 * {@link TransactionSynchronizationRegistry} the adapter got at start.
 *
 * <p><b>Rollback-only is hard.</b> A fatal error inside a transaction marks it rollback-only: an
 * {@code SQLException} is an application exception, so the container would not roll back by
 * itself, and a bean that caught the error could otherwise go on in the same transaction on a new
 * connection from another tier, committing half of its work. So:
 * <ul>
 *   <li>without a registry nothing could be marked, and the pool refuses to take part in any
 *       transaction ({@link #requireTransactionRegistry}, checked when the container begins a local
 *       transaction or starts an XA branch): its first allocation in one fails with PGT-221;</li>
 *   <li>if marking fails, the transaction is remembered as doomed (by its key, until it ends): it
 *       is logged SEVERE, and every later connection of this pool in it refuses every call
 *       (PGT-223).</li>
 * </ul>
 */
final class PoolTransactions {

    private static final Logger LOG = Logger.getLogger(PoolTransactions.class.getName());

    private final String pool;
    private final Supplier<TransactionSynchronizationRegistry> registry;
    private final Set<Object> doomed = Collections.synchronizedSet(Collections.newSetFromMap(new WeakHashMap<>()));
    /** Whether {@link #doomed} was ever written: the check on every checkout stays one volatile read. */
    private volatile boolean anyDoomed;

    PoolTransactions(String pool, Supplier<TransactionSynchronizationRegistry> registry) {
        this.pool = pool;
        this.registry = registry;
    }

    /** The caller's JTA transaction key, or {@code null} outside a transaction (or without a registry). */
    Object key() {
        TransactionSynchronizationRegistry r = registry.get();
        return r == null ? null : r.getTransactionKey();
    }

    /** Runs {@code afterCompletion} when the caller's transaction ends (interposed: before the pool's own listener). */
    void afterCompletion(Synchronization synchronization) {
        registry.get().registerInterposedSynchronization(synchronization);
    }

    /** Refuses a transaction the adapter could not mark rollback-only: see the class comment. */
    void requireTransactionRegistry() throws SQLException {
        if (registry.get() == null) {
            throw new SQLException(Messages.noTransactionRegistry(pool), "0B000");
        }
    }

    /** Whether any transaction is doomed now: while none is, checking costs one volatile read. */
    boolean anyDoomed() {
        return anyDoomed;
    }

    /**
     * Why a connection in transaction {@code key} is refused — it lost one to a fatal error and
     * could not be marked rollback-only — or {@code null}. The connection is still handed out, with
     * every call refused: a container cannot take back a handle it failed to get (Payara's pool
     * would keep the slot busy).
     */
    SQLException refusalFor(Object key) {
        if (anyDoomed && key != null && doomed.contains(key)) {
            return new SQLException(Messages.transactionDoomed(pool), "25P02");
        }
        return null;
    }

    /** After a fatal error on {@code tier}: marks the caller's transaction rollback-only, or dooms it. */
    void markRollbackOnly(String tier) {
        TransactionSynchronizationRegistry r = registry.get();
        if (r == null) {
            return;
        }
        Object key = null;
        try {
            key = r.getTransactionKey();
            if (key == null) {
                return;
            }
            // Only while active: once the transaction manager prepares or ends it, it cannot go on anyway.
            if (r.getTransactionStatus() == Status.STATUS_ACTIVE) {
                r.setRollbackOnly();
            }
        } catch (RuntimeException e) {
            LOG.log(Level.SEVERE, Messages.rollbackOnlyFailed(pool, tier), e);
            if (key != null) {
                doom(r, key);
            }
        }
    }

    private void doom(TransactionSynchronizationRegistry r, Object key) {
        synchronized (doomed) {
            doomed.add(key);
            anyDoomed = true;
        }
        try {
            r.registerInterposedSynchronization(new Synchronization() {
                @Override
                public void beforeCompletion() {
                }

                @Override
                public void afterCompletion(int status) {
                    synchronized (doomed) {
                        doomed.remove(key);
                        anyDoomed = !doomed.isEmpty();
                    }
                }
            });
        } catch (RuntimeException e) {
            // Kept until the key is collected (the set holds it weakly).
            LOG.log(Level.FINE, "pgtier: no end-of-transaction callback for a doomed transaction", e);
        }
    }
}
