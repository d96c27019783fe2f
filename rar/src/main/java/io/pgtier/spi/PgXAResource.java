package io.pgtier.spi;

import io.pgtier.pg.SqlStates;
import java.sql.SQLException;
import javax.transaction.xa.XAException;
import javax.transaction.xa.XAResource;
import javax.transaction.xa.Xid;

/**
 * pgjdbc's {@link XAResource} for one session, as the transaction manager drives it, with what the
 * adapter adds around every call:
 * <ul>
 *   <li>it knows when a branch is active ({@code start} to {@code end}), so the handle refuses a
 *       bean's commit, rollback and {@code setAutoCommit(true)} with 2D000, as for a local
 *       transaction (pgjdbc's own guard answers 55000);</li>
 *   <li>errors go through the same fatal classification as a statement's: a lost connection ends
 *       the managed connection on the calling thread;</li>
 *   <li>{@code prepare}, {@code commit} and {@code rollback} are watched by the stall check, like a
 *       statement, so a hung server cannot hold the transaction manager forever;</li>
 *   <li>a commit that lost its connection says the outcome is unknown (08007 in the cause) and
 *       keeps pgjdbc's error code, {@code XAER_RMFAIL}, which tells the transaction manager to
 *       retry or recover the branch rather than assume it rolled back;</li>
 *   <li>a branch is refused when the container gave no transaction registry (see
 *       {@link PoolTransactions#requireTransactionRegistry}).</li>
 * </ul>
 */
final class PgXAResource implements XAResource {

    private final PgTierManagedConnection owner;
    private final XAResource xa;
    private volatile boolean branchActive;

    PgXAResource(PgTierManagedConnection owner, XAResource xa) {
        this.owner = owner;
        this.xa = xa;
    }

    boolean branchActive() {
        return branchActive;
    }

    /**
     * One wrapper per session, made when the container first asks: the one the transaction manager
     * holds is the one the handle asks whether a branch is active.
     */
    static final class Holder {
        private final PgTierManagedConnection owner;
        private volatile PgXAResource resource;

        Holder(PgTierManagedConnection owner) {
            this.owner = owner;
        }

        PgXAResource get() throws jakarta.resource.ResourceException {
            PgXAResource current = resource;
            if (current != null) {
                return current;
            }
            synchronized (this) {
                if (resource == null) {
                    try {
                        resource = new PgXAResource(owner, owner.physical().xa().getXAResource());
                    } catch (SQLException e) {
                        owner.onError(e);
                        throw new jakarta.resource.ResourceException(Messages.firstLine(e.getMessage()), e);
                    }
                }
                return resource;
            }
        }

        boolean branchActive() {
            PgXAResource current = resource;
            return current != null && current.branchActive;
        }
    }

    @Override
    public void start(Xid xid, int flags) throws XAException {
        try {
            owner.pool().transactions().requireTransactionRegistry();
        } catch (SQLException e) {
            XAException refused = new XAException(e.getMessage());
            refused.errorCode = XAException.XAER_RMERR;
            refused.initCause(e);
            throw refused;
        }
        try {
            xa.start(xid, flags);
            branchActive = true;
        } catch (XAException e) {
            throw failed(e);
        }
    }

    @Override
    public void end(Xid xid, int flags) throws XAException {
        try {
            xa.end(xid, flags);
        } catch (XAException e) {
            throw failed(e);
        } finally {
            branchActive = false;
        }
    }

    @Override
    public int prepare(Xid xid) throws XAException {
        owner.fitness().executionStarted();
        try {
            return xa.prepare(xid);
        } catch (XAException e) {
            throw failed(e);
        } finally {
            owner.fitness().executionEnded();
        }
    }

    @Override
    public void commit(Xid xid, boolean onePhase) throws XAException {
        owner.fitness().executionStarted();
        try {
            xa.commit(xid, onePhase);
        } catch (XAException e) {
            XAException failure = failed(e);
            SQLException cause = e.getCause() instanceof SQLException sql ? sql : null;
            // A prepared branch whose resource manager failed is in doubt whatever the cause says:
            // pgjdbc may report the closed connection of its own clean-up instead of the I/O error
            // that broke COMMIT PREPARED.
            boolean inDoubt = cause != null && SqlStates.outcomeUnknown(cause)
                    || !onePhase && failure.errorCode == XAException.XAER_RMFAIL;
            if (inDoubt) {
                if (cause == null) {
                    cause = new SQLException(Messages.firstLine(e.getMessage()), SqlStates.CONNECTION_FAILURE, e);
                }
                String message = Messages.commitOutcomeUnknown(owner.pool().name(), owner.tier().id().label(),
                        onePhase ? "XA one-phase commit" : "XA commit", cause);
                XAException unknown = new XAException(message);
                unknown.errorCode = failure.errorCode;
                unknown.initCause(new SQLException(message, SqlStates.TRANSACTION_RESOLUTION_UNKNOWN, cause));
                throw unknown;
            }
            throw failure;
        } finally {
            owner.fitness().executionEnded();
        }
    }

    @Override
    public void rollback(Xid xid) throws XAException {
        owner.fitness().executionStarted();
        try {
            xa.rollback(xid);
        } catch (XAException e) {
            throw failed(e);
        } finally {
            owner.fitness().executionEnded();
            branchActive = false;
        }
    }

    @Override
    public void forget(Xid xid) throws XAException {
        try {
            xa.forget(xid);
        } catch (XAException e) {
            throw failed(e);
        }
    }

    @Override
    public Xid[] recover(int flag) throws XAException {
        try {
            return xa.recover(flag);
        } catch (XAException e) {
            throw failed(e);
        }
    }

    @Override
    public boolean isSameRM(XAResource other) throws XAException {
        return other == this || other instanceof PgXAResource pg && xa.isSameRM(pg.xa);
    }

    @Override
    public int getTransactionTimeout() throws XAException {
        return xa.getTransactionTimeout();
    }

    @Override
    public boolean setTransactionTimeout(int seconds) throws XAException {
        return xa.setTransactionTimeout(seconds);
    }

    /** The one error path: a lost connection ends the managed connection, as for a statement. */
    private XAException failed(XAException e) {
        if (e.getCause() instanceof SQLException cause) {
            owner.onError(cause);
        } else if (e.errorCode == XAException.XAER_RMFAIL) {
            owner.onError(new SQLException(Messages.firstLine(e.getMessage()), SqlStates.CONNECTION_FAILURE, e));
        }
        return e;
    }
}
