package io.pgtier.client;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The SQL every example bean runs, in one place, so each bean shows only what it is an example
 * of: how it gets its connection, who closes it and who ends the transaction. Every method takes
 * a connection it does not own and never closes it.
 */
final class NotesSql {

    static final String CREATE_TABLE = "CREATE TABLE IF NOT EXISTS notes("
            + "id bigserial PRIMARY KEY, text text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())";

    private NotesSql() {
    }

    /** Inserts one note and returns its id. */
    static long insert(Connection c, String text) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO notes(text) VALUES (?) RETURNING id")) {
            ps.setString(1, text);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** How many notes carry exactly {@code text}. */
    static long count(Connection c, String text) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM notes WHERE text = ?")) {
            ps.setString(1, text);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /**
     * Which server answered, as {@code "<port> primary"} or {@code "<port> standby"}: the tiers of
     * a test cluster differ by port, so this tells a test which tier served the connection.
     */
    static String server(Connection c) throws SQLException {
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT current_setting('port'), pg_is_in_recovery()")) {
            rs.next();
            return rs.getString(1) + (rs.getBoolean(2) ? " standby" : " primary");
        }
    }
}
