package io.pgtier.client;

import jakarta.annotation.Resource;
import jakarta.ejb.Stateless;
import jakarta.ejb.TransactionAttribute;
import jakarta.ejb.TransactionAttributeType;
import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;

/**
 * Work that must survive its caller's rollback (an audit row, say): {@code REQUIRES_NEW} suspends
 * the caller's transaction and runs this one on a connection of its own, committed when
 * {@link #add} returns, whatever the caller does next. The suspended transaction keeps its own
 * connection meanwhile, so a REQUIRES_NEW call holds two of the pool's connections at once.
 */
@Stateless
public class IndependentNotesBean {

    @Resource(lookup = "jca/pgtier")
    private DataSource dataSource;

    /** Inserts a note in a new transaction and commits it on return. */
    @TransactionAttribute(TransactionAttributeType.REQUIRES_NEW)
    public long add(String text) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            return NotesSql.insert(c, text);
        }
    }
}
