package io.pgtier.client.observe;

import io.pgtier.api.TieredDataSource;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import javax.naming.NamingException;
import javax.sql.DataSource;

/**
 * The pgtier resources this application reports on, reached through the adapter's optional API,
 * for the health checks, the metrics and the status endpoint: the two it always uses, and the XA
 * ones of {@code server-config/micro/post-boot-xa.asadmin} where they exist. Nothing here opens a
 * connection: {@link TieredDataSource#status()} only reads the adapter's counters and its
 * monitor's last round, so it is cheap enough to call on every probe and scrape.
 *
 * <p>Looked up when first asked, not injected: an injection that fails fails the whole
 * application's start, and on Payara Server an application re-enabled after a pool change may
 * start before the pool's resource is bound again. A caller that asks too early gets the error for
 * that resource only, and the next call looks again.
 */
@ApplicationScoped
public class TieredPools {

    /** The READ_WRITE resource. */
    public static final String READ_WRITE = "jca/pgtier";
    /** The READ_ONLY resource. */
    public static final String READ_ONLY = "jca/pgtier-readonly";
    /** Both, in the order they are reported. */
    public static final List<String> RESOURCES = List.of(READ_WRITE, READ_ONLY);
    /** Reported when the server has them: the XA pools of the XA post-boot add-on. */
    public static final List<String> OPTIONAL = List.of("jca/pgtier-xa", "jca/pgtier-billing-xa");

    private final Map<String, DataSource> found = new ConcurrentHashMap<>();
    /** An optional resource is looked for once: pools are created before applications deploy, and a failed lookup is not cheap. */
    private final Map<String, Optional<DataSource>> optional = new ConcurrentHashMap<>();

    /** {@link #RESOURCES}, then those of {@link #OPTIONAL} the server has. */
    public List<String> resources() {
        List<String> all = new ArrayList<>(RESOURCES);
        for (String name : OPTIONAL) {
            if (optional(name) != null) {
                all.add(name);
            }
        }
        return all;
    }

    /**
     * The resource named {@code jndiName} as a {@link TieredDataSource}.
     *
     * @throws SQLException if it is not bound now, or not a pgtier resource (another adapter's, or a JDBC pool)
     * @throws IllegalArgumentException if {@code jndiName} is not one of {@link #resources()}
     */
    public TieredDataSource tiered(String jndiName) throws SQLException {
        DataSource ds;
        if (RESOURCES.contains(jndiName)) {
            ds = found.get(jndiName);
            if (ds == null) {
                try {
                    ds = io.pgtier.client.Resources.lookup(jndiName);
                } catch (NamingException e) {
                    throw new SQLException("pgtier resource " + jndiName + " is not bound: " + e.getMessage(), e);
                }
                found.put(jndiName, ds);
            }
        } else {
            ds = optional(jndiName);
        }
        if (ds == null) {
            throw new IllegalArgumentException("not a pgtier resource of this application: " + jndiName);
        }
        return ds.unwrap(TieredDataSource.class);
    }

    private DataSource optional(String jndiName) {
        if (!OPTIONAL.contains(jndiName)) {
            return null;
        }
        return optional.computeIfAbsent(jndiName, name -> {
            try {
                return Optional.of(io.pgtier.client.Resources.lookup(name));
            } catch (NamingException | ClassCastException e) {
                return Optional.empty();
            }
        }).orElse(null);
    }
}
