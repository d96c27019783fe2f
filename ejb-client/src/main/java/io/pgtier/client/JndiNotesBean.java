package io.pgtier.client;

import jakarta.ejb.Stateless;
import java.io.IOException;
import java.io.StringReader;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import javax.naming.NamingException;
import javax.sql.DataSource;
import org.postgresql.PGConnection;

/**
 * The old {@code conn = getconn() ... putconn(conn)} pattern, kept explicit: the resource is
 * looked up in JNDI rather than injected, and every method returns its connection in a
 * {@code finally}. It also shows {@code unwrap(PGConnection.class)}, which reaches pgjdbc's own API
 * (here COPY) through the adapter's handle. That works only because the application does not
 * bundle pgjdbc: the {@code PGConnection} it compiles against must be the RAR's class.
 *
 * <p>The connection still joins the container's transaction (the default {@code REQUIRED}), so it
 * commits when the method returns, as in {@link NotesBean}.
 */
@Stateless
public class JndiNotesBean {

    private static final String RESOURCE = "jca/pgtier";

    /** How many notes carry exactly {@code text}. */
    public long count(String text) throws SQLException {
        Connection conn = getconn();
        try {
            return NotesSql.count(conn, text);
        } finally {
            putconn(conn);
        }
    }

    /**
     * Inserts one note per text with {@code COPY ... FROM STDIN} and returns the rows copied.
     * Texts are escaped for COPY's text format, so tabs, newlines and backslashes arrive intact.
     */
    public long copy(List<String> texts) throws SQLException {
        StringBuilder data = new StringBuilder();
        texts.forEach(t -> data.append(escapeForCopy(t)).append('\n'));
        Connection conn = getconn();
        try {
            return conn.unwrap(PGConnection.class).getCopyAPI()
                    .copyIn("COPY notes(text) FROM STDIN", new StringReader(data.toString()));
        } catch (IOException e) {
            // Reading a StringReader cannot fail; pgjdbc reports a broken socket as SQLException.
            throw new SQLException("COPY could not read its input", e);
        } finally {
            putconn(conn);
        }
    }

    /** {@code "<port> primary|standby"}: which tier's server served this call. */
    public String server() throws SQLException {
        Connection conn = getconn();
        try {
            return NotesSql.server(conn);
        } finally {
            putconn(conn);
        }
    }

    private static Connection getconn() throws SQLException {
        DataSource ds;
        try {
            ds = Resources.lookup(RESOURCE);
        } catch (NamingException e) {
            // A missing resource is a deployment mistake, not a database error: a system exception.
            throw new IllegalStateException("no connector resource named " + RESOURCE
                    + " (create it with create-connector-resource)", e);
        }
        return ds.getConnection();
    }

    private static void putconn(Connection conn) throws SQLException {
        conn.close();
    }

    private static String escapeForCopy(String text) {
        return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r");
    }
}
