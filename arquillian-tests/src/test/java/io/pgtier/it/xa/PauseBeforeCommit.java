package io.pgtier.it.xa;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.transaction.xa.XAException;
import javax.transaction.xa.XAResource;
import javax.transaction.xa.Xid;

/**
 * A resource with no data, enlisted last in a transaction so that its {@code prepare} runs after
 * every real branch is prepared: there it waits until the test releases it, so the test can take
 * a server down between prepare and commit, which no real server does on demand. It votes yes and
 * does nothing else.
 */
public final class PauseBeforeCommit implements XAResource {

    private static volatile PauseBeforeCommit current;

    private final CountDownLatch reached = new CountDownLatch(1);
    private final CountDownLatch released = new CountDownLatch(1);

    static PauseBeforeCommit next() {
        current = new PauseBeforeCommit();
        return current;
    }

    /** Whether the paused transaction's branches are all prepared and it waits. */
    static boolean waiting() {
        PauseBeforeCommit p = current;
        return p != null && p.reached.getCount() == 0 && p.released.getCount() > 0;
    }

    static void release() {
        PauseBeforeCommit p = current;
        if (p != null) {
            p.released.countDown();
        }
    }

    @Override
    public int prepare(Xid xid) throws XAException {
        reached.countDown();
        try {
            if (!released.await(120, TimeUnit.SECONDS)) {
                throw new XAException(XAException.XA_RBTIMEOUT);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new XAException(XAException.XA_RBOTHER);
        }
        return XA_OK;
    }

    @Override
    public void commit(Xid xid, boolean onePhase) {
    }

    @Override
    public void rollback(Xid xid) {
    }

    @Override
    public void start(Xid xid, int flags) {
    }

    @Override
    public void end(Xid xid, int flags) {
    }

    @Override
    public void forget(Xid xid) {
    }

    @Override
    public Xid[] recover(int flag) {
        return new Xid[0];
    }

    @Override
    public boolean isSameRM(XAResource other) {
        return other == this;
    }

    @Override
    public int getTransactionTimeout() {
        return 0;
    }

    @Override
    public boolean setTransactionTimeout(int seconds) {
        return false;
    }
}
