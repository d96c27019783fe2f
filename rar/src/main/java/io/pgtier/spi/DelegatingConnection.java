package io.pgtier.spi;

import java.sql.Array;
import java.sql.Blob;
import java.sql.Clob;
import java.sql.Connection;
import java.sql.NClob;
import java.sql.SQLClientInfoException;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.SQLXML;
import java.sql.Savepoint;
import java.sql.Struct;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Executor;

/**
 * The plain half of {@link ConnectionHandle}: every {@link Connection} method that needs nothing
 * but "check the handle, call the physical connection, classify any error". Kept apart so the
 * handle itself shows only what is special (statements, close, unwrap, validity).
 *
 * <p>Generated once from {@code java.sql.Connection} by reflection, then named by hand.
 */
abstract class DelegatingConnection implements Connection {

    /** The physical logical connection; throws when this handle is closed or dissociated. */
    abstract Connection delegate() throws SQLException;

    /** Passes an error to the one place that decides whether it ends the managed connection. */
    abstract SQLException onError(SQLException e);

    /**
     * Refuses {@code action} (commit, rollback, autocommit on) while the container's transaction owns
     * the session: only the container may end it (SQLSTATE 2D000, invalid transaction termination).
     */
    abstract void refuseInsideContainerTransaction(String action) throws SQLException;

    @Override
    public void clearWarnings() throws SQLException {
        try {
            delegate().clearWarnings();
        } catch (SQLException e) {
            throw onError(e);
        }
    }

    @Override
    public void commit() throws SQLException {
        refuseInsideContainerTransaction("commit()");
        try {
            delegate().commit();
        } catch (SQLException e) {
            throw onError(e);
        }
    }

    @Override
    public Array createArrayOf(String typeName, Object[] elements) throws SQLException {
        try {
            return delegate().createArrayOf(typeName, elements);
        } catch (SQLException e) {
            throw onError(e);
        }
    }

    @Override
    public Blob createBlob() throws SQLException {
        try {
            return delegate().createBlob();
        } catch (SQLException e) {
            throw onError(e);
        }
    }

    @Override
    public Clob createClob() throws SQLException {
        try {
            return delegate().createClob();
        } catch (SQLException e) {
            throw onError(e);
        }
    }

    @Override
    public NClob createNClob() throws SQLException {
        try {
            return delegate().createNClob();
        } catch (SQLException e) {
            throw onError(e);
        }
    }

    @Override
    public SQLXML createSQLXML() throws SQLException {
        try {
            return delegate().createSQLXML();
        } catch (SQLException e) {
            throw onError(e);
        }
    }

    @Override
    public Struct createStruct(String typeName, Object[] attributes) throws SQLException {
        try {
            return delegate().createStruct(typeName, attributes);
        } catch (SQLException e) {
            throw onError(e);
        }
    }

    @Override
    public boolean getAutoCommit() throws SQLException {
        try {
            return delegate().getAutoCommit();
        } catch (SQLException e) {
            throw onError(e);
        }
    }

    @Override
    public String getCatalog() throws SQLException {
        try {
            return delegate().getCatalog();
        } catch (SQLException e) {
            throw onError(e);
        }
    }

    @Override
    public Properties getClientInfo() throws SQLException {
        try {
            return delegate().getClientInfo();
        } catch (SQLException e) {
            throw onError(e);
        }
    }

    @Override
    public String getClientInfo(String name) throws SQLException {
        try {
            return delegate().getClientInfo(name);
        } catch (SQLException e) {
            throw onError(e);
        }
    }

    @Override
    public int getHoldability() throws SQLException {
        try {
            return delegate().getHoldability();
        } catch (SQLException e) {
            throw onError(e);
        }
    }

    @Override
    public int getNetworkTimeout() throws SQLException {
        try {
            return delegate().getNetworkTimeout();
        } catch (SQLException e) {
            throw onError(e);
        }
    }

    @Override
    public String getSchema() throws SQLException {
        try {
            return delegate().getSchema();
        } catch (SQLException e) {
            throw onError(e);
        }
    }

    @Override
    public int getTransactionIsolation() throws SQLException {
        try {
            return delegate().getTransactionIsolation();
        } catch (SQLException e) {
            throw onError(e);
        }
    }

    @Override
    public Map<String, Class<?>> getTypeMap() throws SQLException {
        try {
            return delegate().getTypeMap();
        } catch (SQLException e) {
            throw onError(e);
        }
    }

    @Override
    public SQLWarning getWarnings() throws SQLException {
        try {
            return delegate().getWarnings();
        } catch (SQLException e) {
            throw onError(e);
        }
    }

    @Override
    public boolean isReadOnly() throws SQLException {
        try {
            return delegate().isReadOnly();
        } catch (SQLException e) {
            throw onError(e);
        }
    }

    @Override
    public String nativeSQL(String sql) throws SQLException {
        try {
            return delegate().nativeSQL(sql);
        } catch (SQLException e) {
            throw onError(e);
        }
    }

    @Override
    public void releaseSavepoint(Savepoint savepoint) throws SQLException {
        try {
            delegate().releaseSavepoint(savepoint);
        } catch (SQLException e) {
            throw onError(e);
        }
    }

    @Override
    public void rollback() throws SQLException {
        refuseInsideContainerTransaction("rollback()");
        try {
            delegate().rollback();
        } catch (SQLException e) {
            throw onError(e);
        }
    }

    @Override
    public void rollback(Savepoint savepoint) throws SQLException {
        try {
            delegate().rollback(savepoint);
        } catch (SQLException e) {
            throw onError(e);
        }
    }

    @Override
    public void setAutoCommit(boolean autoCommit) throws SQLException {
        if (autoCommit) {
            refuseInsideContainerTransaction("setAutoCommit(true)");
        }
        try {
            delegate().setAutoCommit(autoCommit);
        } catch (SQLException e) {
            throw onError(e);
        }
    }

    @Override
    public void setCatalog(String catalog) throws SQLException {
        try {
            delegate().setCatalog(catalog);
        } catch (SQLException e) {
            throw onError(e);
        }
    }

    @Override
    public void setClientInfo(String name, String value) throws SQLClientInfoException {
        try {
            delegate().setClientInfo(name, value);
        } catch (SQLClientInfoException e) {
            throw e;
        } catch (SQLException e) {
            throw new SQLClientInfoException(e.getMessage(), e.getSQLState(), e.getErrorCode(), Map.of(), onError(e));
        }
    }

    @Override
    public void setClientInfo(Properties properties) throws SQLClientInfoException {
        try {
            delegate().setClientInfo(properties);
        } catch (SQLClientInfoException e) {
            throw e;
        } catch (SQLException e) {
            throw new SQLClientInfoException(e.getMessage(), e.getSQLState(), e.getErrorCode(), Map.of(), onError(e));
        }
    }

    @Override
    public void setHoldability(int holdability) throws SQLException {
        try {
            delegate().setHoldability(holdability);
        } catch (SQLException e) {
            throw onError(e);
        }
    }

    @Override
    public void setNetworkTimeout(Executor executor, int milliseconds) throws SQLException {
        try {
            delegate().setNetworkTimeout(executor, milliseconds);
        } catch (SQLException e) {
            throw onError(e);
        }
    }

    @Override
    public void setReadOnly(boolean readOnly) throws SQLException {
        try {
            delegate().setReadOnly(readOnly);
        } catch (SQLException e) {
            throw onError(e);
        }
    }

    @Override
    public Savepoint setSavepoint() throws SQLException {
        try {
            return delegate().setSavepoint();
        } catch (SQLException e) {
            throw onError(e);
        }
    }

    @Override
    public Savepoint setSavepoint(String name) throws SQLException {
        try {
            return delegate().setSavepoint(name);
        } catch (SQLException e) {
            throw onError(e);
        }
    }

    @Override
    public void setSchema(String schema) throws SQLException {
        try {
            delegate().setSchema(schema);
        } catch (SQLException e) {
            throw onError(e);
        }
    }

    @Override
    public void setTransactionIsolation(int level) throws SQLException {
        try {
            delegate().setTransactionIsolation(level);
        } catch (SQLException e) {
            throw onError(e);
        }
    }

    @Override
    public void setTypeMap(Map<String, Class<?>> map) throws SQLException {
        try {
            delegate().setTypeMap(map);
        } catch (SQLException e) {
            throw onError(e);
        }
    }
}
