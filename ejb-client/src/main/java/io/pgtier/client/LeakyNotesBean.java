package io.pgtier.client;

import jakarta.annotation.Resource;
import jakarta.ejb.Stateless;
import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;

/**
 * A deliberate leak, to show the guarantee the old {@code with pool.get_connection()} block gave:
 * {@link #countWithoutClosing} takes a connection and never closes it. Because it was obtained
 * inside a container-managed transaction, the adapter closes the handle and returns the
 * connection to the pool when the transaction completes, logs the leak and counts it
 * ({@code PoolStatus.leaksReclaimed}, metric {@code pgtier_leaks_reclaimed}).
 *
 * <p>Do not copy this. And note the limit of the guarantee: outside a container-managed
 * transaction (BMT code between transactions, {@code NOT_SUPPORTED}) a handle may legally be kept,
 * so the adapter leaves it alone and only the pool's {@code connection-leak-timeout} reclaims it.
 */
@Stateless
public class LeakyNotesBean {

    @Resource(lookup = "jca/pgtier")
    private DataSource dataSource;

    /** Counts notes carrying {@code text} on a connection it leaks on purpose. */
    public long countWithoutClosing(String text) throws SQLException {
        Connection leaked = dataSource.getConnection();
        return NotesSql.count(leaked, text);
    }
}
