package io.pgtier.spi;

import io.pgtier.pg.PgPhysical;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import org.postgresql.PGConnection;
import org.postgresql.jdbc.AutoSave;

/**
 * Puts a session back in the state the pool handed it out in, before the next bean gets it, at the
 * cost of what the last bean touched only (dirty bits, as HikariCP's {@code ProxyConnection} keeps):
 * a session no bean changed costs two cached reads and no round trip.
 *
 * <ul>
 *   <li>autocommit and read-only: read from pgjdbc's cache on every return, an open transaction is
 *       rolled back;</li>
 *   <li>network timeout (it overrides the tier's hang bound), holdability, client info (the
 *       {@code ApplicationName} sessions are counted by), the type map, and the driver's own
 *       settings reached through {@code unwrap(PGConnection.class)}: the value before the first
 *       change is kept and put back;</li>
 *   <li>SQL that may change the session ({@link SessionSql}): settings ({@code SET},
 *       {@code set_config}, isolation and schema through JDBC) cost one {@code RESET ALL}; what
 *       only {@code DISCARD ALL} undoes ({@code SET ROLE}, {@code SET SESSION AUTHORIZATION},
 *       advisory locks, {@code LISTEN}, temporary tables, cursors {@code WITH HOLD},
 *       {@code PREPARE}) costs one {@code DISCARD ALL}, which also drops pgjdbc's server-side
 *       prepared statements (pgjdbc sees it in the command's reply and prepares them again); a
 *       transaction the server holds open with autocommit on (a {@code BEGIN} sent as SQL) is
 *       rolled back.</li>
 * </ul>
 * Session defaults given at connect (the URL's options, {@code application_name}) survive
 * {@code RESET ALL}: PostgreSQL resets to the values of the start-up packet.
 */
final class SessionReset {

    static final int NETWORK_TIMEOUT = 1;
    static final int HOLDABILITY = 1 << 1;
    static final int CLIENT_INFO = 1 << 2;
    static final int TYPE_MAP = 1 << 3;
    static final int DRIVER = 1 << 4;
    static final int SETTINGS = 1 << 5;
    static final int DISCARD = 1 << 6;

    private final AtomicInteger dirty = new AtomicInteger();
    private int networkTimeout;
    private int holdability;
    private Properties clientInfo;
    private Map<String, Class<?>> typeMap;
    private int prepareThreshold;
    private int defaultFetchSize;
    private AutoSave autosave;
    private boolean adaptiveFetch;

    /** A bean is about to change {@code what}: the value before its first change is kept. */
    void touch(int what, Connection session) throws SQLException {
        if ((dirty.get() & what) == what) {
            return;
        }
        switch (what) {
            case NETWORK_TIMEOUT -> networkTimeout = session.getNetworkTimeout();
            case HOLDABILITY -> holdability = session.getHoldability();
            case CLIENT_INFO -> {
                // A copy: pgjdbc hands out the Properties it keeps, and may keep ApplicationName apart.
                clientInfo = new Properties();
                clientInfo.putAll(session.getClientInfo());
                String application = session.getClientInfo("ApplicationName");
                if (application != null) {
                    clientInfo.setProperty("ApplicationName", application);
                }
            }
            case TYPE_MAP -> typeMap = session.getTypeMap();
            case DRIVER -> {
                PGConnection pg = session.unwrap(PGConnection.class);
                prepareThreshold = pg.getPrepareThreshold();
                defaultFetchSize = pg.getDefaultFetchSize();
                autosave = pg.getAutosave();
                adaptiveFetch = pg.getAdaptiveFetch();
            }
            case SETTINGS, DISCARD -> {
                // nothing to keep: the reset returns to the session's defaults
            }
            default -> throw new IllegalArgumentException("session state " + what);
        }
        dirty.accumulateAndGet(what, (a, b) -> a | b);
    }

    /** SQL with these {@link SessionSql#effects} was sent: what the return must undo. */
    void sqlSent(int effects) throws SQLException {
        if ((effects & SessionSql.DISCARD) != 0) {
            touch(DISCARD, null);
        } else if ((effects & SessionSql.SETTINGS) != 0) {
            touch(SETTINGS, null);
        }
    }

    /**
     * Undoes what was touched; the logical connection ends an open transaction (pgjdbc's XA proxy
     * keeps its own state in step), the session takes the rest. The network timeout goes back
     * first, so a bean's short one cannot fail the reset's own round trips.
     */
    void restore(PgPhysical physical) throws SQLException {
        Connection logical = physical.logical();
        Connection session = physical.session();
        // A read on every return; the atomic write only when a bean changed something.
        int touched = dirty.get();
        if (touched != 0) {
            dirty.set(0);
        }
        if ((touched & NETWORK_TIMEOUT) != 0) {
            session.setNetworkTimeout(Runnable::run, networkTimeout);
        }
        if (!session.getAutoCommit()) {
            logical.rollback();
            logical.setAutoCommit(true);
        } else if (physical.inTransaction()) {
            // A BEGIN sent as SQL with autocommit on: pgjdbc's cached transaction state, no round trip to know.
            execute(session, "ROLLBACK");
        }
        if (session.isReadOnly()) {
            session.setReadOnly(false);
        }
        if (touched == 0) {
            return;
        }
        if ((touched & HOLDABILITY) != 0) {
            session.setHoldability(holdability);
        }
        if ((touched & TYPE_MAP) != 0) {
            session.setTypeMap(typeMap);
        }
        if ((touched & DRIVER) != 0) {
            PGConnection pg = session.unwrap(PGConnection.class);
            pg.setPrepareThreshold(prepareThreshold);
            pg.setDefaultFetchSize(defaultFetchSize);
            pg.setAutosave(autosave);
            pg.setAdaptiveFetch(adaptiveFetch);
        }
        if ((touched & DISCARD) != 0) {
            execute(session, "DISCARD ALL");
            // Notifications already received for a channel the bean listened on are not the next bean's.
            session.unwrap(PGConnection.class).getNotifications();
        } else if ((touched & SETTINGS) != 0) {
            execute(session, "RESET ALL");
        }
        if ((touched & CLIENT_INFO) != 0) {
            session.setClientInfo(clientInfo);
        }
    }

    private static void execute(Connection session, String sql) throws SQLException {
        try (Statement s = session.createStatement()) {
            s.execute(sql);
        }
    }

    /** What the return will undo: the bits above, for tests. */
    int dirty() {
        return dirty.get();
    }
}
