package io.pgtier.spi;

import java.sql.Array;
import java.sql.Blob;
import java.sql.Clob;
import java.sql.Connection;
import java.sql.NClob;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.SQLXML;
import java.sql.Savepoint;
import java.sql.Struct;
import java.util.Map;
import java.util.Properties;

/**
 * The plain half of {@link ConnectionHandle}: every {@link Connection} method that needs nothing
 * but "check the handle, call the session, classify any error", each one line through
 * {@link #call}. Kept apart so the handle itself shows only what is special: statements, the
 * transaction guard, session state that must be reset, close, unwrap and validity.
 */
abstract class DelegatingConnection implements Connection {

    /** One call on the session; the only kind of lambda {@link #call} takes. */
    @FunctionalInterface
    interface SqlCall<T> {
        T on(Connection session) throws SQLException;
    }

    /** A {@link SqlCall} without a result. */
    @FunctionalInterface
    interface SqlRun {
        void on(Connection session) throws SQLException;
    }

    /** The session's logical connection; throws 08003 when this handle is closed. */
    abstract Connection delegate() throws SQLException;

    /** Passes an error to the one place that decides whether it ends the managed connection. */
    abstract SQLException onError(SQLException e);

    /** The one delegate-and-classify step every method of the handle goes through. */
    final <T> T call(SqlCall<T> call) throws SQLException {
        Connection session = delegate();
        try {
            return call.on(session);
        } catch (SQLException e) {
            throw onError(e);
        }
    }

    final void run(SqlRun run) throws SQLException {
        Connection session = delegate();
        try {
            run.on(session);
        } catch (SQLException e) {
            throw onError(e);
        }
    }

    @Override
    public void clearWarnings() throws SQLException {
        run(Connection::clearWarnings);
    }

    @Override
    public Array createArrayOf(String typeName, Object[] elements) throws SQLException {
        return call(c -> c.createArrayOf(typeName, elements));
    }

    @Override
    public Blob createBlob() throws SQLException {
        return call(Connection::createBlob);
    }

    @Override
    public Clob createClob() throws SQLException {
        return call(Connection::createClob);
    }

    @Override
    public NClob createNClob() throws SQLException {
        return call(Connection::createNClob);
    }

    @Override
    public SQLXML createSQLXML() throws SQLException {
        return call(Connection::createSQLXML);
    }

    @Override
    public Struct createStruct(String typeName, Object[] attributes) throws SQLException {
        return call(c -> c.createStruct(typeName, attributes));
    }

    @Override
    public boolean getAutoCommit() throws SQLException {
        return call(Connection::getAutoCommit);
    }

    @Override
    public String getCatalog() throws SQLException {
        return call(Connection::getCatalog);
    }

    @Override
    public Properties getClientInfo() throws SQLException {
        return call(Connection::getClientInfo);
    }

    @Override
    public String getClientInfo(String name) throws SQLException {
        return call(c -> c.getClientInfo(name));
    }

    @Override
    public int getHoldability() throws SQLException {
        return call(Connection::getHoldability);
    }

    @Override
    public int getNetworkTimeout() throws SQLException {
        return call(Connection::getNetworkTimeout);
    }

    @Override
    public String getSchema() throws SQLException {
        return call(Connection::getSchema);
    }

    @Override
    public int getTransactionIsolation() throws SQLException {
        return call(Connection::getTransactionIsolation);
    }

    @Override
    public Map<String, Class<?>> getTypeMap() throws SQLException {
        return call(Connection::getTypeMap);
    }

    @Override
    public SQLWarning getWarnings() throws SQLException {
        return call(Connection::getWarnings);
    }

    @Override
    public boolean isReadOnly() throws SQLException {
        return call(Connection::isReadOnly);
    }

    @Override
    public String nativeSQL(String sql) throws SQLException {
        return call(c -> c.nativeSQL(sql));
    }

    @Override
    public void releaseSavepoint(Savepoint savepoint) throws SQLException {
        run(c -> c.releaseSavepoint(savepoint));
    }

    @Override
    public void rollback(Savepoint savepoint) throws SQLException {
        run(c -> c.rollback(savepoint));
    }

    @Override
    public void setCatalog(String catalog) throws SQLException {
        run(c -> c.setCatalog(catalog));
    }

    @Override
    public void setReadOnly(boolean readOnly) throws SQLException {
        // Reset on return without a round trip: pgjdbc caches it (see SessionReset).
        run(c -> c.setReadOnly(readOnly));
    }

    @Override
    public Savepoint setSavepoint() throws SQLException {
        return call(Connection::setSavepoint);
    }

    @Override
    public Savepoint setSavepoint(String name) throws SQLException {
        return call(c -> c.setSavepoint(name));
    }
}
