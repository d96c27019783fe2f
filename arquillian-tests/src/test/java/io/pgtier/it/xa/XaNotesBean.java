package io.pgtier.it.xa;

import jakarta.ejb.Stateless;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import javax.naming.InitialContext;
import javax.naming.NamingException;
import javax.sql.DataSource;

/**
 * A CMT bean that writes one row through each of two pgtier XA pools, on two servers, in one
 * transaction: the container's transaction manager drives the two-phase commit. Test-only: XaIT
 * adds it to the application WAR. The resources are looked up when used, so the class does not
 * tie the deployment to pools that only XaIT creates.
 */
@Stateless
public class XaNotesBean {

    static final String ORDERS = "jca/pgtier-xa";
    static final String BILLING = "jca/pgtier-billing-xa";

    /** One row in each database; then a system exception when {@code fail}, so both roll back. */
    public void write(String text, boolean fail) throws SQLException, NamingException {
        insert(ORDERS, text);
        insert(BILLING, text);
        if (fail) {
            throw new IllegalStateException("failing on purpose after writing '" + text + "' to both");
        }
    }

    /**
     * As {@link #write}, with {@link PauseBeforeCommit} enlisted last: the transaction manager
     * prepares both pgtier branches, then holds in its prepare until the test releases it.
     */
    public void writeThenPauseBeforeCommit(String text) throws Exception {
        insert(ORDERS, text);
        insert(BILLING, text);
        jakarta.transaction.TransactionManager tm = (jakarta.transaction.TransactionManager)
                new InitialContext().lookup("java:appserver/TransactionManager");
        tm.getTransaction().enlistResource(PauseBeforeCommit.next());
    }

    private static void insert(String resource, String text) throws SQLException, NamingException {
        DataSource ds = (DataSource) new InitialContext().lookup(resource);
        try (Connection c = ds.getConnection();
             PreparedStatement s = c.prepareStatement("INSERT INTO xa_notes(text) VALUES (?)")) {
            s.setString(1, text);
            s.executeUpdate();
        }
    }
}
