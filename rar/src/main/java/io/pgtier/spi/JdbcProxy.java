package io.pgtier.spi;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Array;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.postgresql.PGConnection;
import org.postgresql.core.BaseConnection;

/**
 * Wraps what a handle gives out besides itself — statements, result sets, metadata and the
 * driver's {@code PGConnection} — so that two things hold for everything a bean touches:
 * <ul>
 *   <li>every {@link SQLException} passes through the handle's one error classifier, whichever
 *       object threw it (a fatal error in {@code executeQuery} must end the managed connection just
 *       like one in {@code commit});</li>
 *   <li>no path leads back to the physical connection: {@code getConnection()} answers the handle,
 *       {@code getStatement()} the wrapped statement, so a bean cannot close the pool's connection
 *       behind its back;</li>
 *   <li>each is bound to the managed connection whose session made it: its errors are charged
 *       there, and once the container has moved the handle to another session it refuses to run
 *       (55000) rather than run on a session that may now serve another bean.</li>
 * </ul>
 * A dynamic proxy (as pgjdbc's own {@code PGPooledConnection} does) rather than hand-written
 * wrappers of five JDBC interfaces and their hundreds of methods.
 */
final class JdbcProxy implements InvocationHandler {

    private final ConnectionHandle handle;
    private final PgTierManagedConnection session;
    private final Object target;
    private final Object parent;
    /** What the statement's prepared SQL does ({@link SessionSql}), checked again at each execution. */
    private final int prepared;
    /** What the SQL added to the batch so far does; a bean's threads do not share one statement. */
    private int batch;

    private JdbcProxy(ConnectionHandle handle, PgTierManagedConnection session, Object target, Object parent, int prepared) {
        this.handle = handle;
        this.session = session;
        this.target = target;
        this.parent = parent;
        this.prepared = prepared;
    }

    static <T> T wrap(ConnectionHandle handle, PgTierManagedConnection session, Class<T> type, T target, Object parent) {
        return wrap(handle, session, type, target, parent, 0);
    }

    /** A statement whose prepared SQL has these {@link SessionSql#effects}, checked again at each execution. */
    static <T> T wrap(ConnectionHandle handle, PgTierManagedConnection session, Class<T> type, T target, Object parent,
            int effects) {
        Object proxy = Proxy.newProxyInstance(JdbcProxy.class.getClassLoader(), new Class<?>[] {type},
                new JdbcProxy(handle, session, target, parent, effects));
        return type.cast(proxy);
    }

    @Override
    public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
        String name = method.getName();
        switch (name) {
            case "equals":
                return proxy == args[0];
            case "hashCode":
                return System.identityHashCode(proxy);
            case "toString":
                return "pgtier " + target;
            case "isWrapperFor":
                return ((Class<?>) args[0]).isInstance(proxy);
            case "unwrap":
                // Never the driver's own object: through it a bean would reach the pool's session.
                if (((Class<?>) args[0]).isInstance(proxy)) {
                    return proxy;
                }
                throw new SQLException(Messages.cannotUnwrap((Class<?>) args[0]), "0A000");
            case "getConnection":
                if (method.getReturnType() == Connection.class) {
                    handle.delegate();
                    return handle;
                }
                break;
            case "getStatement":
                if (parent instanceof Statement) {
                    return parent;
                }
                break;
            default:
                break;
        }
        boolean statement = target instanceof Statement;
        if (!name.equals("close") && !name.equals("isClosed")) {
            handle.requireOn(session);
        }
        if (target instanceof PGConnection driver) {
            Object guarded = driverApi(name, driver);
            if (guarded != null) {
                return guarded;
            }
        }
        // A statement's execution is what blocks on a hung server: the monitor watches for one that does not return.
        boolean executes = statement && name.startsWith("execute");
        if (statement && (executes || name.equals("addBatch"))) {
            if (args != null && args.length > 0 && args[0] instanceof String sql) {
                int effects = handle.sqlSent(session, sql);
                if (!executes) {
                    batch |= effects;
                }
            } else if (executes && ((prepared | batch) & SessionSql.ENDS_TRANSACTION) != 0) {
                // Prepared (or batched) outside the container's transaction, executed inside it.
                handle.refuseTransactionControl(session);
            }
        }
        if (name.equals("executeBatch") || name.equals("clearBatch")) {
            batch = 0;
        }
        Object result;
        try {
            if (executes) {
                session.fitness().executionStarted();
            }
            result = method.invoke(target, args);
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            if (cause instanceof SQLException sql) {
                session.onError(sql);
            }
            throw cause;
        } finally {
            if (executes) {
                session.fitness().executionEnded();
            }
        }
        if (name.equals("close") && statement) {
            handle.untrack((Statement) proxy);
        }
        return result == null ? null : wrapResult(result, proxy);
    }

    /**
     * What a result must not be handed out raw: a result set (from a query, a refcursor through
     * {@code getObject}, an array), an array (whose result set leads back to the session) and the
     * database metadata come back wrapped, bound to the same session.
     */
    private Object wrapResult(Object result, Object creator) {
        if (result instanceof ResultSet rs) {
            return wrap(handle, session, ResultSet.class, rs, creator);
        }
        if (result instanceof Array array) {
            return wrap(handle, session, Array.class, array, creator);
        }
        if (result instanceof DatabaseMetaData meta) {
            return wrap(handle, session, DatabaseMetaData.class, meta, creator);
        }
        if (result instanceof Statement st) {
            // A metadata result set's statement: not one the handle made, but bound the same way.
            return wrap(handle, session, Statement.class, st, null);
        }
        return result;
    }

    /**
     * The driver's API factories: {@code getCopyAPI} gets a copy manager whose SQL is checked like
     * a statement's; the fast-path and replication APIs, which would run anything on the pool's
     * session unseen, are refused. {@code null} for every other method.
     */
    private Object driverApi(String name, PGConnection driver) throws SQLException {
        switch (name) {
            case "getCopyAPI":
                return new GuardedCopyManager(handle, session, (BaseConnection) driver);
            case "getFastpathAPI", "getReplicationAPI":
                throw new SQLException(Messages.driverApiRefused(session.pool().name(), name), "0A000");
            default:
                return null;
        }
    }
}
