package io.pgtier.client;

import jakarta.annotation.PostConstruct;
import jakarta.annotation.Resource;
import jakarta.ejb.Singleton;
import jakarta.ejb.Startup;
import jakarta.ejb.TransactionAttribute;
import jakarta.ejb.TransactionAttributeType;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * Creates the {@code notes} table the example beans use, once, when the application deploys.
 *
 * <p>A database that is down at deploy time must not fail the deployment: the adapter's tiers may
 * come back a minute later, and the health checks are where an unreachable database shows. So a
 * failure is logged as a warning and the next deployment (or a manual {@code CREATE TABLE}) fixes
 * it. {@code NOT_SUPPORTED} runs the DDL in auto-commit, outside any transaction, so a fatal error
 * cannot leave a rollback-only transaction behind to fail this callback.
 */
@Singleton
@Startup
public class SchemaBean {

    private static final Logger LOG = Logger.getLogger(SchemaBean.class.getName());

    @Resource(lookup = "jca/pgtier")
    private DataSource dataSource;

    @PostConstruct
    @TransactionAttribute(TransactionAttributeType.NOT_SUPPORTED)
    void createSchema() {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            s.execute(NotesSql.CREATE_TABLE);
        } catch (SQLException | RuntimeException e) {
            LOG.log(Level.WARNING, "pgtier examples: could not create table notes on jca/pgtier; "
                    + "the example beans will fail until it exists: " + e.getMessage(), e);
        }
    }
}
