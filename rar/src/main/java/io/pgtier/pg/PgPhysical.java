package io.pgtier.pg;

import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.XAConnection;

/**
 * One physical PostgreSQL session: pgjdbc's {@link XAConnection} and the one logical connection
 * taken from it. pgjdbc closes the previous logical connection whenever {@code getConnection()} is
 * called again, so it is taken exactly once, here, and shared by every handle of the managed
 * connection. The same object serves XA, local and no transactions: the container chooses.
 */
public record PgPhysical(XAConnection xa, Connection logical) {

    /** Closes the session; never throws (the server may already be gone). */
    public void closeQuietly() {
        try {
            xa.close();
        } catch (SQLException | RuntimeException ignored) {
            // The session is unusable either way; the cap slot is released by the caller.
        }
    }
}
