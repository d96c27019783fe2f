package io.pgtier.client.observe;

import io.pgtier.api.TieredDataSource;
import jakarta.annotation.Resource;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.SQLException;
import java.util.List;
import javax.sql.DataSource;

/**
 * The two pgtier resources this application uses, reached through the adapter's optional API, for
 * the health checks, the metrics and the status endpoint. Nothing here opens a connection:
 * {@link TieredDataSource#status()} only reads the adapter's counters and its monitor's last
 * round, so it is cheap enough to call on every probe and scrape.
 */
@ApplicationScoped
public class TieredPools {

    /** The READ_WRITE resource. */
    public static final String READ_WRITE = "jca/pgtier";
    /** The READ_ONLY resource. */
    public static final String READ_ONLY = "jca/pgtier-readonly";
    /** Both, in the order they are reported. */
    public static final List<String> RESOURCES = List.of(READ_WRITE, READ_ONLY);

    @Resource(lookup = READ_WRITE)
    private DataSource readWrite;

    @Resource(lookup = READ_ONLY)
    private DataSource readOnly;

    /**
     * The resource named {@code jndiName} as a {@link TieredDataSource}.
     *
     * @throws SQLException if it is not a pgtier resource (another adapter's, or a JDBC pool)
     * @throws IllegalArgumentException if {@code jndiName} is not one of {@link #RESOURCES}
     */
    public TieredDataSource tiered(String jndiName) throws SQLException {
        DataSource ds = switch (jndiName) {
            case READ_WRITE -> readWrite;
            case READ_ONLY -> readOnly;
            default -> throw new IllegalArgumentException("not a pgtier resource of this application: " + jndiName);
        };
        return ds.unwrap(TieredDataSource.class);
    }
}
