package io.pgtier.pg;

import io.pgtier.api.Purpose;
import io.pgtier.tier.FailureKind;
import java.io.IOException;
import java.sql.SQLException;

/**
 * Which PostgreSQL errors end a physical connection. The one place that decides: the handle, the
 * local transaction and the connect loop all ask here.
 *
 * <ul>
 *   <li>class 08 (connection exception): the session is gone or never was;</li>
 *   <li>57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now: the server is going
 *       away or not yet there;</li>
 *   <li>25006 read-only SQL transaction, for a READ_WRITE pool only: the server was demoted to a
 *       standby or made read-only, and this connection will never write again;</li>
 *   <li>any error whose cause is an {@link IOException} (pgjdbc reports those as 08006, but an
 *       I/O failure is fatal whatever state a wrapper gives it).</li>
 * </ul>
 */
public final class SqlStates {

    public static final String CONNECTION_FAILURE = "08006";
    public static final String CONNECTION_DOES_NOT_EXIST = "08003";
    public static final String READ_ONLY_TRANSACTION = "25006";
    public static final String TRANSACTION_RESOLUTION_UNKNOWN = "08007";

    private SqlStates() {
    }

    public static boolean isFatal(SQLException e, Purpose purpose) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof IOException) {
                return true;
            }
            if (t instanceof SQLException sql && isFatalState(sql.getSQLState(), purpose)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether a commit that failed this way may still have committed: the connection broke while the
     * commit was on its way or its answer was (an I/O error, 08006). A server that answered with an
     * error, or a connection already closed before the commit was sent (08003), leaves no doubt.
     */
    public static boolean outcomeUnknown(SQLException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof IOException) {
                return true;
            }
            if (t instanceof SQLException sql && CONNECTION_FAILURE.equals(sql.getSQLState())) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether a failure to connect may pass if tried again shortly: the connection was refused,
     * reset or timed out (class 08), the server is starting or shutting down (57P01-57P03), or it
     * has no room (class 53, e.g. 53300 too many connections). Authentication (28xxx), a missing
     * database (3D000) and the like are configuration errors: retrying only repeats them.
     */
    public static boolean mayPass(SQLException e) {
        String state = e == null ? null : e.getSQLState();
        if (state == null) {
            return e != null && e.getCause() instanceof IOException;
        }
        return state.startsWith("08") || state.startsWith("53")
                || state.equals("57P01") || state.equals("57P02") || state.equals("57P03");
    }

    /** The server refused the sign-on itself (SQLSTATE class 28: a wrong password, no such role, a refused certificate). */
    public static boolean isSignOnRefused(SQLException e) {
        return e.getSQLState() != null && e.getSQLState().startsWith("28");
    }

    /**
     * What a failed connection attempt or probe says about the tier. A full server (class 53) is
     * alive; authentication and authorization (class 28, 42501), a missing database (3D000) or
     * an invalid parameter (22023, 42704) are this pool's configuration. Everything else — refused,
     * reset, timed out (class 08), shutting down or starting (57P0x), an I/O error, or a state we do
     * not know — is held against the server or the route, as before this distinction existed. A TLS
     * refusal ({@link PgTls#problem}) is configuration too.
     */
    public static FailureKind kind(SQLException e) {
        String state = e.getSQLState();
        if (state == null) {
            return FailureKind.SERVER;
        }
        if (state.startsWith("53")) {
            return FailureKind.CAPACITY;
        }
        if (state.startsWith("28") || state.equals("3D000") || state.equals("42501")
                || state.equals("22023") || state.equals("42704") || PgTls.problem(e) != null) {
            return FailureKind.CONFIG;
        }
        return FailureKind.SERVER;
    }

    static boolean isFatalState(String state, Purpose purpose) {
        if (state == null) {
            return false;
        }
        return state.startsWith("08")
                || state.equals("57P01") || state.equals("57P02") || state.equals("57P03")
                || (purpose == Purpose.READ_WRITE && state.equals(READ_ONLY_TRANSACTION));
    }
}
