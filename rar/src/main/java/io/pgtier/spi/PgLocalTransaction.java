package io.pgtier.spi;

import jakarta.resource.ResourceException;
import jakarta.resource.spi.LocalTransaction;
import jakarta.resource.spi.LocalTransactionException;
import java.sql.Connection;
import io.pgtier.pg.SqlStates;
import java.sql.SQLException;

/**
 * The container's local transaction on one session: {@code begin} turns autocommit off,
 * {@code commit} / {@code rollback} end it and turn autocommit back on. PostgreSQL has no nested
 * transactions, so a second {@code begin} is refused; a commit on a dead session reports the
 * server's error (and the session is ended by the error event), never silent success: 08007 when
 * the connection broke with the commit under way, so nobody retries it blindly. Without a
 * transaction registry the pool takes part in no transaction ({@link PoolTransactions}).
 */
final class PgLocalTransaction implements LocalTransaction {

    private final PgTierManagedConnection owner;
    private volatile boolean active;

    PgLocalTransaction(PgTierManagedConnection owner) {
        this.owner = owner;
    }

    boolean isActive() {
        return active;
    }

    @Override
    public void begin() throws ResourceException {
        String pool = owner.pool().name();
        if (active) {
            throw new LocalTransactionException(Messages.nestedLocalTransaction(pool));
        }
        Connection c = owner.physical().logical();
        try {
            owner.pool().transactions().requireTransactionRegistry();
            if (!owner.physical().session().getAutoCommit()) {
                throw new LocalTransactionException(Messages.applicationTransactionOpen(pool));
            }
            c.setAutoCommit(false);
            active = true;
        } catch (SQLException e) {
            throw failure("begin", e);
        }
    }

    @Override
    public void commit() throws ResourceException {
        end("commit");
    }

    @Override
    public void rollback() throws ResourceException {
        end("rollback");
    }

    private void end(String action) throws ResourceException {
        if (!active) {
            throw new LocalTransactionException(Messages.noLocalTransaction(owner.pool().name(), action));
        }
        Connection c = owner.physical().logical();
        try {
            owner.fitness().executionStarted();
            try {
                if (action.equals("commit")) {
                    c.commit();
                } else {
                    c.rollback();
                }
            } finally {
                owner.fitness().executionEnded();
            }
            c.setAutoCommit(true);
        } catch (SQLException e) {
            throw failure(action, e);
        } finally {
            active = false;
            owner.endIfDetached();
        }
    }

    /**
     * The container returned the connection with its transaction still open: forgotten here, and
     * rolled back with the rest of the session's state. Whether there was one.
     */
    boolean abandon() {
        if (!active) {
            return false; // every return: a read, not a volatile write
        }
        active = false;
        return true;
    }

    /** {@code e} from a commit on {@code on}, or 08007 when the connection broke with the commit under way. */
    static SQLException outcomeOf(PgTierManagedConnection on, String action, SQLException e) {
        if (!SqlStates.outcomeUnknown(e)) {
            return e;
        }
        return new SQLException(Messages.commitOutcomeUnknown(on.pool().name(), on.tier().id().label(), action, e),
                SqlStates.TRANSACTION_RESOLUTION_UNKNOWN, e);
    }

    private LocalTransactionException failure(String action, SQLException e) {
        owner.onError(e);
        SQLException reported = action.equals("commit") ? outcomeOf(owner, "commit", e) : e;
        String message = reported == e
                ? Messages.transactionFailed(owner.pool().name(), owner.tier().id().label(), action, e)
                : reported.getMessage();
        LocalTransactionException failure = new LocalTransactionException(message, reported.getSQLState());
        failure.initCause(reported);
        return failure;
    }
}
