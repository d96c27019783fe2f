package io.pgtier.spi;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Where the container's pool has one managed connection, as far as an operator's drain must know
 * before it ends an idle one from its own thread: NEW (created, not handed out yet: a steady-pool
 * fill, or a bean is about to get it), TAKEN (matched or handed out), FREE (returned and cleaned
 * up), CLAIMED (being ended by the drain). The claim is a compare-and-set, so a connection the
 * container hands out at that moment is left to retire when it is returned.
 */
final class PoolPresence {

    private static final int NEW = 0;
    private static final int TAKEN = 1;
    private static final int FREE = 2;
    private static final int CLAIMED = 3;
    /** A connection no bean took within this long of its creation was a pool fill: idle. */
    private static final long NEW_IDLE_AFTER_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final AtomicInteger state = new AtomicInteger(NEW);

    void taken() {
        state.set(TAKEN);
    }

    void returned() {
        state.set(FREE);
    }

    boolean inUse() {
        return state.get() == TAKEN;
    }

    /** Claims an idle connection; the state it had, for {@link #unclaim}, or -1 when it is not idle. */
    int claimIfIdle(long ageNanos) {
        int was = state.get();
        boolean idle = was == FREE || was == NEW && ageNanos > NEW_IDLE_AFTER_NANOS;
        return idle && state.compareAndSet(was, CLAIMED) ? was : -1;
    }

    void unclaim(int was) {
        state.compareAndSet(CLAIMED, was);
    }
}
