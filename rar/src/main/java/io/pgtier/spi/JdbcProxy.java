package io.pgtier.spi;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Set;

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

    private static final Set<Class<?>> WRAPPED = Set.of(
            Statement.class, PreparedStatement.class, CallableStatement.class, ResultSet.class, DatabaseMetaData.class);

    private final ConnectionHandle handle;
    private final PgTierManagedConnection session;
    private final Object target;
    private final Object parent;

    private JdbcProxy(ConnectionHandle handle, PgTierManagedConnection session, Object target, Object parent) {
        this.handle = handle;
        this.session = session;
        this.target = target;
        this.parent = parent;
    }

    static <T> T wrap(ConnectionHandle handle, PgTierManagedConnection session, Class<T> type, T target, Object parent) {
        Object proxy = Proxy.newProxyInstance(JdbcProxy.class.getClassLoader(), new Class<?>[] {type},
                new JdbcProxy(handle, session, target, parent));
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
        if (handle.owner() != session && !name.equals("close") && !name.equals("isClosed")) {
            // Closed, or moved to another session: this one may serve another bean now.
            throw handle.isClosed() ? new SQLException(Messages.handleClosed(), "08003")
                    : new SQLException(Messages.statementOfOtherSession(session.pool().name()), "55000");
        }
        // A statement's execution is what blocks on a hung server: the monitor watches for one that does not return.
        PgTierManagedConnection executing = statement && name.startsWith("execute") ? session : null;
        if (statement && args != null && args.length > 0 && args[0] instanceof String sql
                && (executing != null || name.equals("addBatch"))) {
            handle.sqlSent(session, sql);
        }
        Object result;
        try {
            if (executing != null) {
                executing.fitness().executionStarted();
            }
            result = method.invoke(target, args);
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            if (cause instanceof SQLException sql) {
                session.onError(sql);
            }
            throw cause;
        } finally {
            if (executing != null) {
                executing.fitness().executionEnded();
            }
        }
        if (name.equals("close") && target instanceof Statement) {
            handle.untrack((Statement) proxy);
        }
        Class<?> returned = method.getReturnType();
        if (result != null && WRAPPED.contains(returned) && !name.equals("unwrap")) {
            return wrapResult(returned, result, proxy);
        }
        return result;
    }

    @SuppressWarnings("unchecked")
    private <T> T wrapResult(Class<T> type, Object result, Object creator) {
        return wrap(handle, session, type, (T) result, creator);
    }
}
