package io.pgtier.spi;

import jakarta.transaction.Status;
import jakarta.transaction.Synchronization;
import jakarta.transaction.TransactionSynchronizationRegistry;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The container's transaction registry reduced to what the adapter reads, with the transaction
 * begun and ended by the test: one transaction at a time, seen from every thread (so a test can end
 * it on another thread, as a transaction timeout does). Payara's real registry is exercised by the
 * Arquillian tests; this one can also do what Payara's cannot on demand: refuse
 * {@code setRollbackOnly}.
 */
final class ManualTransactions implements TransactionSynchronizationRegistry {

    private volatile Object key;
    private volatile int status = Status.STATUS_NO_TRANSACTION;
    private volatile boolean refuseRollbackOnly;
    private volatile boolean refuseSynchronizations;
    private final List<Synchronization> synchronizations = new CopyOnWriteArrayList<>();
    private final Map<Object, Object> resources = new ConcurrentHashMap<>();

    Object begin() {
        synchronizations.clear();
        key = new Object();
        status = Status.STATUS_ACTIVE;
        return key;
    }

    /** Ends the transaction as the container does: interposed {@code afterCompletion}, on the calling thread. */
    void complete(int outcome) {
        key = null;
        status = Status.STATUS_NO_TRANSACTION;
        for (Synchronization s : synchronizations) {
            s.afterCompletion(outcome);
        }
        synchronizations.clear();
    }

    void refuseRollbackOnly(boolean refuse) {
        this.refuseRollbackOnly = refuse;
    }

    /** As Payara's registry does for a JTS transaction already marked rollback-only. */
    void refuseSynchronizations(boolean refuse) {
        this.refuseSynchronizations = refuse;
    }

    @Override
    public Object getTransactionKey() {
        return key;
    }

    @Override
    public void putResource(Object k, Object value) {
        resources.put(k, value);
    }

    @Override
    public Object getResource(Object k) {
        return resources.get(k);
    }

    @Override
    public void registerInterposedSynchronization(Synchronization sync) {
        if (refuseSynchronizations) {
            throw new IllegalStateException("the transaction is marked rollback-only");
        }
        synchronizations.add(sync);
    }

    @Override
    public int getTransactionStatus() {
        return status;
    }

    @Override
    public void setRollbackOnly() {
        if (refuseRollbackOnly || key == null) {
            throw new IllegalStateException("setRollbackOnly refused by the test");
        }
        status = Status.STATUS_MARKED_ROLLBACK;
    }

    @Override
    public boolean getRollbackOnly() {
        return status == Status.STATUS_MARKED_ROLLBACK;
    }
}
