package io.pgtier.pg;

import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.XAConnection;

/**
 * One physical PostgreSQL session: pgjdbc's {@link XAConnection} and the one logical connection
 * taken from it. pgjdbc closes the previous logical connection whenever {@code getConnection()} is
 * called again, so it is taken exactly once, here, and shared by every handle of the managed
 * connection. The same object serves XA, local and no transactions: the container chooses.
 *
 * <p>The logical connection is pgjdbc's reflective proxy (it guards XA state); {@code session} is
 * the connection behind it, for the state reads the pool makes on every checkout and return
 * ({@code isClosed}, {@code getAutoCommit}, {@code isReadOnly}), which need no guarding.
 */
public record PgPhysical(XAConnection xa, Connection logical, Connection session) {

    /** Takes the logical connection of {@code xa} and the session behind it. */
    public static PgPhysical of(XAConnection xa) throws SQLException {
        Connection logical = xa.getConnection();
        Connection session = logical.isWrapperFor(org.postgresql.PGConnection.class)
                ? (Connection) logical.unwrap(org.postgresql.PGConnection.class) : logical;
        return new PgPhysical(xa, logical, session);
    }

    /** The server a connection reached, {@code host:port} as the driver resolved its URL. */
    public static String serverOf(Connection connection) throws SQLException {
        return connection.unwrap(org.postgresql.core.BaseConnection.class).getQueryExecutor().getHostSpec().toString();
    }

    /** {@link #serverOf} this session's server, or "" when the driver cannot say. */
    public String server() {
        try {
            return serverOf(session);
        } catch (SQLException | RuntimeException e) {
            return "";
        }
    }

    /**
     * Whether the server holds an open transaction on this session (work begun and not yet
     * committed or rolled back, or a failed one), as pgjdbc tracks it from the server's replies:
     * no round trip.
     */
    public boolean inTransaction() {
        try {
            return session.unwrap(org.postgresql.core.BaseConnection.class).getTransactionState()
                    != org.postgresql.core.TransactionState.IDLE;
        } catch (SQLException | RuntimeException e) {
            return false;
        }
    }

    /**
     * Closes the socket now (pgjdbc's {@code abort}), for a session that may be blocked on a hung
     * server or route. The socket's read timeout is cut to 1 ms first: the JDK closes a TLS socket
     * by reading what the server has left to send, with the socket's timeout ({@code socketTimeout},
     * seconds), so through a hung route the close itself would hang that long, and every session
     * after it would wait its turn. A statement already blocked keeps its own timeout and fails when
     * the socket closes.
     */
    public void abort() throws SQLException {
        abort(Runnable::run);
    }

    /**
     * {@link #abort()}, with pgjdbc's close run by {@code executor} (a bean's own {@code abort}). The
     * timeout is cut inside the task the executor runs: a {@code null} executor or a refused task
     * leaves the session as it was, and usable.
     */
    public void abort(java.util.concurrent.Executor executor) throws SQLException {
        if (executor == null) {
            logical.abort(null); // pgjdbc's own error, the session untouched
            return;
        }
        logical.abort(task -> executor.execute(() -> {
            try {
                session.unwrap(org.postgresql.core.BaseConnection.class).getQueryExecutor().setNetworkTimeout(1);
            } catch (java.io.IOException | SQLException | RuntimeException e) {
                // closed already, or the driver cannot say: abort anyway
            }
            task.run();
        }));
    }

    /** Closes the session; never throws (the server may already be gone). */
    public void closeQuietly() {
        try {
            xa.close();
        } catch (SQLException | RuntimeException ignored) {
            // The session is unusable either way; the cap slot is released by the caller.
        }
    }
}
