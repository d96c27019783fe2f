package io.pgtier.pg;

import io.pgtier.api.Role;
import io.pgtier.tier.Connector;
import io.pgtier.tier.Tier;
import io.pgtier.tier.TierEndpoint;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.EnumMap;
import java.util.Map;
import javax.sql.XAConnection;
import org.postgresql.PGConnection;
import org.postgresql.xa.PGXADataSource;

/**
 * Opens physical sessions with pgjdbc's {@link PGXADataSource} (not {@code DriverManager}, which
 * cannot see a driver inside the RAR), one data source per tier, configured once.
 *
 * <p>Every tier sets {@code loginTimeout} and {@code socketTimeout}: {@code connectTimeout} covers
 * only TCP and TLS, so without them opening a session to a hung server, or through a black-holed
 * route, waits forever.
 *
 * <p>The role comes for free on PostgreSQL 14 and later: the server reports {@code in_hot_standby}
 * and {@code default_transaction_read_only} at start-up, so no query is needed. Older servers are
 * asked with one query.
 */
public final class PgConnector implements Connector<PgPhysical> {

    /** Timeouts and flags shared by every tier of a pool. */
    public record Options(int connectTimeoutSeconds, int loginTimeoutSeconds, int socketTimeoutSeconds,
                          boolean tcpKeepAlive, String applicationName) {
    }

    private final Map<io.pgtier.api.TierId, PGXADataSource> sources = new EnumMap<>(io.pgtier.api.TierId.class);
    /** Each tier's configured password (not one written into its URL): what the tier's {@code SignOns} were offered. */
    private final Map<io.pgtier.api.TierId, String> passwords = new EnumMap<>(io.pgtier.api.TierId.class);
    private final String user;
    private final String password;

    /**
     * @param user     overrides every tier's user when not {@code null} (container sign-on, or
     *                 {@code DataSource.getConnection(user, password)})
     * @param password overrides with the user
     */
    private PgConnector(String user, String password) {
        this.user = user;
        this.password = password;
    }

    /**
     * One data source per tier, from the pool's own endpoints: tiers are shared between pools, but
     * each pool signs on with its own credentials.
     */
    public static PgConnector forEndpoints(Map<io.pgtier.api.TierId, TierEndpoint> endpoints, Options options) {
        PgConnector connector = new PgConnector(null, null);
        endpoints.forEach((id, endpoint) -> {
            connector.sources.put(id, dataSource(endpoint, options));
            connector.passwords.put(id, endpoint.password());
        });
        return connector;
    }

    /** The same data sources, signing on as another user. */
    public PgConnector as(String otherUser, String otherPassword) {
        PgConnector connector = new PgConnector(otherUser, otherPassword);
        connector.sources.putAll(sources);
        connector.passwords.putAll(passwords);
        return connector;
    }

    @Override
    public PgPhysical connect(Tier tier) throws SQLException {
        PGXADataSource source = sources.get(tier.id());
        XAConnection xa;
        try {
            xa = user == null ? source.getXAConnection() : source.getXAConnection(user, password);
        } catch (SQLException e) {
            if (user == null && SqlStates.isSignOnRefused(e)) {
                tier.signOns().refused(passwords.get(tier.id()));
            }
            throw PgTls.explained(e);
        }
        if (user == null) {
            // The pool's own sign-on (the tier's user): the monitor may probe with this password.
            tier.signOns().worked(passwords.get(tier.id()));
        }
        try {
            return PgPhysical.of(xa);
        } catch (SQLException | RuntimeException e) {
            xa.close();
            throw e;
        }
    }

    @Override
    public Role roleOf(PgPhysical physical) throws SQLException {
        PGConnection pg = physical.logical().unwrap(PGConnection.class);
        String hotStandby = pg.getParameterStatus("in_hot_standby");
        String readOnly = pg.getParameterStatus("default_transaction_read_only");
        if (hotStandby != null && readOnly != null) {
            return "on".equals(hotStandby) || "on".equals(readOnly) ? Role.STANDBY : Role.WRITABLE;
        }
        try (Statement s = physical.logical().createStatement();
             ResultSet rs = s.executeQuery("SELECT pg_is_in_recovery() OR current_setting('default_transaction_read_only')::bool")) {
            rs.next();
            return rs.getBoolean(1) ? Role.STANDBY : Role.WRITABLE;
        }
    }

    @Override
    public io.pgtier.tier.FailureKind classify(SQLException failure) {
        return SqlStates.kind(failure);
    }

    @Override
    public void discard(PgPhysical physical) {
        physical.closeQuietly();
    }

    private static PGXADataSource dataSource(TierEndpoint endpoint, Options options) {
        PGXADataSource ds = new PGXADataSource();
        ds.setURL(endpoint.url());
        if (endpoint.user() != null) {
            ds.setUser(endpoint.user());
        }
        if (endpoint.password() != null) {
            ds.setPassword(endpoint.password());
        }
        ds.setConnectTimeout(options.connectTimeoutSeconds());
        ds.setLoginTimeout(options.loginTimeoutSeconds());
        ds.setSocketTimeout(options.socketTimeoutSeconds());
        ds.setTcpKeepAlive(options.tcpKeepAlive());
        PgTls.apply(ds, endpoint.tls());
        ds.setApplicationName(options.applicationName());
        // Sends application_name in the start-up packet (older servers got a SET after connecting, which a
        // RESET ALL at cleanup would undo) and skips the round trips pgjdbc spends on pre-9.4 servers.
        ds.setAssumeMinServerVersion("9.4");
        return ds;
    }
}
