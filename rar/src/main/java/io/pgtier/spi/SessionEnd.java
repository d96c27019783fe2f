package io.pgtier.spi;

import io.pgtier.pg.PgPhysical;
import io.pgtier.tier.Tier;
import java.sql.SQLException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * How one managed connection's session ends, and its slot of the tier's cap with it: closing the
 * socket at once (pgjdbc's {@code abort}: a statement under way fails, and nothing waits for a
 * hung server), or closing the session, and giving the cap slot back exactly once, whichever
 * comes first.
 */
final class SessionEnd {

    private static final Logger LOG = Logger.getLogger(SessionEnd.class.getName());

    private final PgPhysical physical;
    private final SessionFitness fitness;
    private final Tier tier;
    private final AtomicBoolean slotReleased = new AtomicBoolean();

    SessionEnd(PgPhysical physical, SessionFitness fitness, Tier tier) {
        this.physical = physical;
        this.fitness = fitness;
        this.tier = tier;
    }

    /** Closes the socket now; {@code why} only for the log. */
    void closeSocket(String why) {
        fitness.markAborted();
        try {
            physical.abort();
        } catch (SQLException | RuntimeException e) {
            LOG.log(Level.FINE, "pgtier: abort of a session " + why, e);
        }
    }

    /**
     * The monitor's verdict on the tier: the socket is closed and the cap slot is free now, not when
     * the container gets round to destroying the connection (which may be minutes for an idle one).
     */
    void abortForTierDown() {
        closeSocket("on a down tier");
        releaseSlot();
    }

    /** The container destroys the connection. */
    void close() {
        physical.closeQuietly();
        releaseSlot();
    }

    private void releaseSlot() {
        if (slotReleased.compareAndSet(false, true)) {
            tier.release();
        }
    }
}
