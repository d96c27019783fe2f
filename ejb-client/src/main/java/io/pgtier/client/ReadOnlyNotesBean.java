package io.pgtier.client;

import jakarta.annotation.Resource;
import jakarta.ejb.Stateless;
import jakarta.ejb.TransactionAttribute;
import jakarta.ejb.TransactionAttributeType;
import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;

/**
 * Reads through the READ_ONLY pool, which prefers standbys and may fall back to the primary. A
 * standby may lag: a note just committed through {@code jca/pgtier} can be missing here for a
 * moment, so read your own writes through the READ_WRITE pool.
 *
 * <p>{@code NOT_SUPPORTED}: these reads never join the caller's transaction. A standby refuses
 * {@code PREPARE}, and two LocalTransaction pools cannot share one JTA transaction, so a read-only
 * connection enlisted beside a write would break the caller's commit. Outside a transaction the
 * connection runs in auto-commit and is closed here, as always.
 */
@Stateless
@TransactionAttribute(TransactionAttributeType.NOT_SUPPORTED)
public class ReadOnlyNotesBean {

    @Resource(lookup = "jca/pgtier-readonly")
    private DataSource dataSource;

    /** {@code "<port> primary|standby"}: which tier's server the READ_ONLY pool used. */
    public String server() throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            return NotesSql.server(c);
        }
    }

    /** How many notes carry exactly {@code text}, as the serving (possibly lagging) server sees them. */
    public long count(String text) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            return NotesSql.count(c, text);
        }
    }
}
