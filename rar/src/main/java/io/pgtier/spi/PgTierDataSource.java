package io.pgtier.spi;

import io.pgtier.api.PoolMetrics;
import io.pgtier.api.PoolStatus;
import io.pgtier.api.TieredDataSource;
import jakarta.resource.Referenceable;
import jakarta.resource.ResourceException;
import jakarta.resource.spi.ConnectionManager;
import java.io.PrintWriter;
import java.io.Serializable;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.logging.Logger;
import javax.naming.Reference;

/**
 * What a bean looks up or gets injected: a plain {@link javax.sql.DataSource} (and pgtier's
 * {@link TieredDataSource} for those who want tier status).
 *
 * <p>Payara reports a failed connection creation as its own generic allocation exception; the
 * bean would never see which tiers were tried and why. So the container's exception is searched
 * for pgtier's {@link SQLException} (SQLSTATE, every tier and its reason), and that is thrown.
 */
public final class PgTierDataSource implements TieredDataSource, Referenceable, Serializable {

    private static final long serialVersionUID = 1L;

    private final transient PgTierManagedConnectionFactory factory;
    private final transient ConnectionManager manager;
    private Reference reference;
    private transient PrintWriter logWriter;

    PgTierDataSource(PgTierManagedConnectionFactory factory, ConnectionManager manager) {
        this.factory = factory;
        this.manager = manager;
    }

    @Override
    public Connection getConnection() throws SQLException {
        return allocate(null);
    }

    @Override
    public Connection getConnection(String user, String password) throws SQLException {
        return allocate(new Credentials(user, password));
    }

    private Connection allocate(Credentials credentials) throws SQLException {
        PoolMeters meters = metersOrNull();
        long start = meters == null ? 0 : meters.waiting();
        int outcome = 1;
        try {
            Connection connection = (Connection) manager.allocateConnection(factory, credentials);
            outcome = 0;
            return connection;
        } catch (ResourceException e) {
            SQLException error = unwrap(e);
            outcome = error.getCause() == e ? 2 : 1;
            throw error;
        } finally {
            if (meters != null) {
                meters.waited(start, outcome);
            }
        }
    }

    private PoolMeters metersOrNull() {
        try {
            return factory.runtime().meters();
        } catch (ResourceException notConfigured) {
            return null; // the allocation fails with the configuration error, and there is no pool to count it
        }
    }

    private SQLException unwrap(ResourceException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql) {
                return sql;
            }
        }
        String pool;
        try {
            pool = factory.runtime().name();
        } catch (ResourceException notConfigured) {
            pool = factory.getPoolName();
        }
        return new SQLException(Messages.allocationFailed(pool, Messages.firstLine(e.getMessage())), "08001", e);
    }

    @Override
    public PoolStatus status() {
        return runtimeOrFail().status();
    }

    @Override
    public PoolMetrics metrics() {
        return runtimeOrFail().metrics();
    }

    @Override
    public java.util.List<io.pgtier.api.InstanceView> instances() {
        return runtimeOrFail().adapter().fleet().views();
    }

    @Override
    public void drain(String tier, String actor) {
        runtimeOrFail().operations().drain(tier, actor);
    }

    @Override
    public void prefer(String tier, String actor) {
        runtimeOrFail().operations().prefer(tier, actor);
    }

    @Override
    public void resume(String tier, String actor) {
        runtimeOrFail().operations().resume(tier, actor);
    }

    private PoolRuntime runtimeOrFail() {
        try {
            return factory.runtime();
        } catch (ResourceException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    @Override
    public PrintWriter getLogWriter() {
        return logWriter;
    }

    @Override
    public void setLogWriter(PrintWriter out) {
        this.logWriter = out;
    }

    /** Timeouts are per tier (loginTimeoutSeconds); this answers the primary's. */
    @Override
    public int getLoginTimeout() {
        return runtimeOrFail().settings().options().loginTimeoutSeconds();
    }

    @Override
    public void setLoginTimeout(int seconds) throws SQLException {
        throw new SQLFeatureNotSupportedException("set loginTimeoutSeconds on the pgtier pool instead", "0A000");
    }

    @Override
    public Logger getParentLogger() {
        return Logger.getLogger("io.pgtier");
    }

    @Override
    public <T> T unwrap(Class<T> type) throws SQLException {
        if (type.isInstance(this)) {
            return type.cast(this);
        }
        throw new SQLException("a pgtier DataSource does not unwrap to " + type.getName(), "0A000");
    }

    @Override
    public boolean isWrapperFor(Class<?> type) {
        return type.isInstance(this);
    }

    @Override
    public void setReference(Reference reference) {
        this.reference = reference;
    }

    @Override
    public Reference getReference() {
        return reference;
    }
}
