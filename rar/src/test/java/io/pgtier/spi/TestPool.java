package io.pgtier.spi;

import io.pgtier.harness.PgHarness;
import io.pgtier.harness.PgServer;
import io.pgtier.ra.PgTierResourceAdapter;
import jakarta.resource.ResourceException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/** A pgtier pool on real servers, wired as a container would, for the tests of this package. */
final class TestPool implements AutoCloseable {

    final PgTierResourceAdapter adapter;
    final PgTierManagedConnectionFactory factory;
    final MiniConnectionManager manager = new MiniConnectionManager();
    final PgTierDataSource dataSource;
    final ManualTransactions transactions;

    private TestPool(PgTierResourceAdapter adapter, PgTierManagedConnectionFactory factory) throws ResourceException {
        this.adapter = adapter;
        this.factory = factory;
        if (adapter.transactions() == null) {
            adapter.useTransactionSynchronizationRegistry(new ManualTransactions());
        }
        this.transactions = (ManualTransactions) adapter.transactions();
        factory.setResourceAdapter(adapter);
        this.dataSource = (PgTierDataSource) factory.createConnectionFactory(manager);
    }

    /** A factory with the harness's credentials and short timeouts, not yet validated. */
    static PgTierManagedConnectionFactory factory(String pool, String purpose, String primaryUrl, String backupUrl,
            String failoverUrl) {
        PgTierManagedConnectionFactory f = new PgTierManagedConnectionFactory();
        f.setPoolName(pool);
        f.setPurpose(purpose);
        f.setPrimaryUrl(primaryUrl);
        f.setBackupUrl(backupUrl == null ? "" : backupUrl);
        f.setFailoverUrl(failoverUrl == null ? "" : failoverUrl);
        f.setUser(PgServer.USER);
        f.setPassword(PgHarness.PASSWORD);
        f.setConnectTimeoutSeconds(2);
        f.setLoginTimeoutSeconds(3);
        f.setSocketTimeoutSeconds(10);
        return f;
    }

    static TestPool start(PgTierResourceAdapter adapter, PgTierManagedConnectionFactory factory) throws ResourceException {
        return new TestPool(adapter, factory);
    }

    static TestPool start(PgTierManagedConnectionFactory factory) throws ResourceException {
        return new TestPool(new PgTierResourceAdapter(), factory);
    }

    Connection connection() throws SQLException {
        return dataSource.getConnection();
    }

    /** The port of the server a connection is on: which tier served it. */
    static int serverPort(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT current_setting('port')::int")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    /** Sessions this pool holds on a server, as the server counts them. */
    static int sessionsOn(PgServer server, String pool) throws SQLException {
        try (Connection c = server.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgtier-" + pool + "'")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
