package io.pgtier.pg;

import io.pgtier.api.Role;
import io.pgtier.tier.TierEndpoint;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * One health probe of a tier, on its own short-lived session (never a pooled one: a probe must
 * not wait behind, or disturb, a bean's work), bounded in every phase by the probe timeout —
 * connect, log in, and the query — so a hung server costs the monitor at most that long.
 */
public final class TierProbe {

    /**
     * What a probe saw: the role, a standby's unreplayed WAL in bytes (0 on a writable server), how
     * long it took, which server answered ({@code host:port} as the driver reached it: a URL may list
     * several), and when that server's current run began — by its clock (to compare two probes
     * exactly) and by ours (to compare with when our sessions were opened); and the XA branches
     * prepared in the tier's database and not yet committed or rolled back (in doubt), with when
     * the oldest was prepared, by our clock (0 when none).
     */
    public record Result(Role role, long lagBytes, long latencyMicros, String server, long runStartMillis,
                         long runStartLocalMillis, int inDoubt, long oldestInDoubtLocalMillis) {
    }

    private static final String QUERY = "SELECT pg_is_in_recovery() OR current_setting('default_transaction_read_only')::bool,"
            + " CASE WHEN pg_is_in_recovery()"
            // received-but-not-replayed WAL; the receive position can trail replay right after a restart: clamp at 0
            + " THEN GREATEST(COALESCE(pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn()), 0), 0)::bigint"
            + " ELSE 0 END,"
            // The current run began when the checkpointer started: at server start, and again when the
            // postmaster re-initialised after a backend crashed (every session ended, postmaster start
            // time unchanged). Only roles allowed to see background processes (pg_read_all_stats, a
            // superuser) can read it; others fall back to the postmaster's start, which misses a re-init.
            + " (extract(epoch FROM COALESCE((SELECT backend_start FROM pg_stat_activity WHERE backend_type = 'checkpointer'),"
            + " pg_postmaster_start_time())) * 1000)::bigint,"
            + " (extract(epoch FROM clock_timestamp()) * 1000)::bigint,"
            // In-doubt XA branches: only those of the tier's database, the ones recover() can see.
            + " (SELECT count(*) FROM pg_prepared_xacts WHERE database = current_database())::int,"
            + " (SELECT COALESCE((extract(epoch FROM min(prepared)) * 1000)::bigint, 0) FROM pg_prepared_xacts"
            + " WHERE database = current_database())";

    private final PGSimpleDataSource source = new PGSimpleDataSource();

    public TierProbe(TierEndpoint endpoint, int timeoutSeconds, String applicationName) {
        source.setURL(endpoint.url());
        if (endpoint.user() != null) {
            source.setUser(endpoint.user());
        }
        if (endpoint.password() != null) {
            source.setPassword(endpoint.password());
        }
        source.setConnectTimeout(timeoutSeconds);
        source.setLoginTimeout(timeoutSeconds);
        source.setSocketTimeout(timeoutSeconds);
        source.setApplicationName(applicationName);
        source.setAssumeMinServerVersion("9.4");
        // Exactly as the tier's pool connects: a probe that skipped TLS would see a server the pool cannot use.
        PgTls.apply(source, endpoint.tls());
    }

    public Result probe() throws SQLException {
        long start = System.nanoTime();
        Connection connection;
        try {
            connection = source.getConnection();
        } catch (SQLException e) {
            throw PgTls.explained(e);
        }
        try (Connection c = connection; Statement s = c.createStatement(); ResultSet rs = s.executeQuery(QUERY)) {
            rs.next();
            long localNow = System.currentTimeMillis();
            Role role = rs.getBoolean(1) ? Role.STANDBY : Role.WRITABLE;
            long runStart = rs.getLong(3);
            long serverAhead = rs.getLong(4) - localNow;
            long oldestInDoubt = rs.getLong(6);
            return new Result(role, rs.getLong(2), (System.nanoTime() - start) / 1_000, PgPhysical.serverOf(c),
                    runStart, runStart - serverAhead, rs.getInt(5), oldestInDoubt == 0 ? 0 : oldestInDoubt - serverAhead);
        }
    }
}
