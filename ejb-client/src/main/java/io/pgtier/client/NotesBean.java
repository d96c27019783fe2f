package io.pgtier.client;

import jakarta.annotation.Resource;
import jakarta.ejb.EJB;
import jakarta.ejb.SessionContext;
import jakarta.ejb.Stateless;
import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;

/**
 * The everyday way to use pgtier: an injected {@link DataSource} and container-managed
 * transactions (the default, {@code REQUIRED}). The connection joins the container's transaction,
 * which commits when a business method returns and rolls back when it throws a system
 * (unchecked) exception or the bean calls {@link SessionContext#setRollbackOnly()}; this replaces
 * the old {@code with pool.get_connection()} block.
 *
 * <p>{@link SQLException} is declared, not wrapped: it is a checked application exception, so the
 * container does <em>not</em> roll back because of it. When the error is fatal (the server went
 * away, a standby refused a write) the adapter marks the transaction rollback-only itself, and the
 * next transaction gets a connection from a healthy tier; pgtier never fails over mid-transaction.
 */
@Stateless
public class NotesBean {

    @Resource(lookup = "jca/pgtier")
    private DataSource dataSource;

    @Resource
    private SessionContext context;

    @EJB
    private IndependentNotesBean independent;

    /** Inserts a note; the row is committed when this method returns. */
    public long add(String text) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            return NotesSql.insert(c, text);
        }
    }

    /** Inserts a note, then fails: a system exception, so the container rolls the insert back. */
    public void addThenFail(String text) throws SQLException {
        add(text);
        throw new IllegalStateException("addThenFail: failing on purpose after inserting '" + text + "'");
    }

    /**
     * What a bean must not do: inserts a note, tries to end the container's transaction itself
     * ({@code commit()}, or {@code setAutoCommit(true)}), inserts it again, then fails. pgtier refuses
     * the attempt (SQLSTATE 2D000), so the container's rollback undoes both rows; the failure names
     * what the attempt got ({@code "refused 2D000"}, or {@code "not refused"}).
     */
    public void addEndingTransactionThenFail(String text, boolean autoCommit) throws SQLException {
        String attempt;
        try (Connection c = dataSource.getConnection()) {
            NotesSql.insert(c, text);
            try {
                if (autoCommit) {
                    c.setAutoCommit(true);
                } else {
                    c.commit();
                }
                attempt = "not refused";
            } catch (SQLException e) {
                attempt = "refused " + e.getSQLState();
            }
            NotesSql.insert(c, text);
        }
        throw new IllegalStateException("addEndingTransactionThenFail: " + attempt);
    }

    /**
     * Inserts a note, then asks for a rollback without throwing: the caller sees a normal return
     * and the row is never committed.
     */
    public void addThenRollbackOnly(String text) throws SQLException {
        add(text);
        context.setRollbackOnly();
    }

    /**
     * Inserts {@code outer}, has {@link IndependentNotesBean} insert {@code inner} in a transaction
     * of its own, then fails: the outer row is rolled back, the inner one stays committed. The call
     * goes through the injected proxy; calling a method of this bean directly would ignore its
     * transaction attribute.
     */
    public void addWithIndependent(String outer, String inner) throws SQLException {
        add(outer);
        independent.add(inner);
        throw new IllegalStateException("addWithIndependent: failing on purpose after '" + outer
                + "' and the independent '" + inner + "'");
    }

    /** {@code "<port> primary|standby"}: which tier's server served this transaction. */
    public String server() throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            return NotesSql.server(c);
        }
    }

    /** How many notes carry exactly {@code text}, as this pool's server sees them. */
    public long count(String text) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            return NotesSql.count(c, text);
        }
    }
}
