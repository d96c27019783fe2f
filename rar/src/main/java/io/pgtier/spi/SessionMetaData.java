package io.pgtier.spi;

import jakarta.resource.spi.ManagedConnectionMetaData;
import java.sql.DatabaseMetaData;
import java.sql.SQLException;

/** What the container shows of the server behind a managed connection. */
record SessionMetaData(String product, String version, int maxConnections, String user)
        implements ManagedConnectionMetaData {

    static SessionMetaData of(PgTierManagedConnection connection) throws jakarta.resource.ResourceException {
        try {
            DatabaseMetaData meta = connection.physical().logical().getMetaData();
            return new SessionMetaData(meta.getDatabaseProductName(), meta.getDatabaseProductVersion(),
                    connection.tier().endpoint().maxConnections(), meta.getUserName());
        } catch (SQLException e) {
            connection.onError(e);
            throw new jakarta.resource.ResourceException(Messages.firstLine(e.getMessage()), e);
        }
    }

    @Override
    public String getEISProductName() {
        return product;
    }

    @Override
    public String getEISProductVersion() {
        return version;
    }

    @Override
    public int getMaxConnections() {
        return maxConnections;
    }

    @Override
    public String getUserName() {
        return user;
    }
}
