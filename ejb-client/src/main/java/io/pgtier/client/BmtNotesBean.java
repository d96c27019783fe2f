package io.pgtier.client;

import jakarta.annotation.Resource;
import jakarta.ejb.Stateless;
import jakarta.ejb.TransactionManagement;
import jakarta.ejb.TransactionManagementType;
import jakarta.transaction.UserTransaction;
import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;

/**
 * Bean-managed transactions: the bean begins and ends the transaction itself with
 * {@link UserTransaction}. A connection taken after {@code begin()} is enlisted in it, so the insert
 * is committed or rolled back by {@code commit()}/{@code rollback()}, even though the connection
 * was closed before either: closing a handle returns it to the pool, the transaction keeps the
 * physical connection until it ends.
 *
 * <p>Whatever goes wrong between {@code begin()} and the end, the {@code finally} rolls back: a
 * stateless bean must not return with a transaction still open.
 */
@Stateless
@TransactionManagement(TransactionManagementType.BEAN)
public class BmtNotesBean {

    @Resource(lookup = "jca/pgtier")
    private DataSource dataSource;

    @Resource
    private UserTransaction tx;

    /** Inserts a note in a transaction of its own, then commits it or rolls it back; returns its id. */
    public long add(String text, boolean commit) throws SQLException {
        boolean ended = false;
        try {
            tx.begin();
            long id;
            try (Connection c = dataSource.getConnection()) {
                id = NotesSql.insert(c, text);
            }
            if (commit) {
                tx.commit();
            } else {
                tx.rollback();
            }
            ended = true;
            return id;
        } catch (SQLException e) {
            throw e;
        } catch (Exception e) {
            // NotSupported, RollbackException, HeuristicMixed...: transaction machinery, a system error.
            throw new IllegalStateException("BMT " + (commit ? "commit" : "rollback") + " failed: " + e, e);
        } finally {
            if (!ended) {
                rollbackQuietly();
            }
        }
    }

    private void rollbackQuietly() {
        try {
            tx.rollback();
        } catch (Exception e) {
            // Already rolled back (or never begun): nothing left to undo.
        }
    }
}
