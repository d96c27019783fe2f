package io.pgtier.ra;

import io.pgtier.tier.BreakerListener;
import jakarta.resource.ResourceException;
import jakarta.resource.spi.ActivationSpec;
import jakarta.resource.spi.BootstrapContext;
import jakarta.resource.spi.Connector;
import jakarta.resource.spi.ResourceAdapter;
import jakarta.resource.spi.ResourceAdapterInternalException;
import jakarta.resource.spi.TransactionSupport;
import jakarta.resource.spi.endpoint.MessageEndpointFactory;
import jakarta.transaction.TransactionSynchronizationRegistry;
import java.io.Serializable;
import java.sql.Driver;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Collections;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.transaction.xa.XAResource;

/**
 * pgtier's resource adapter: one instance per deployment, owning what its pools share — the tiers
 * (caps, breakers, health) and the container's transaction registry. Nothing is static, so two
 * deployments, or a redeployment, never see each other's state.
 *
 * <p>{@link #stop()} deregisters the PostgreSQL driver that pgjdbc registers with
 * {@link DriverManager} on class loading: left there it pins this RAR's class loader after
 * undeploy.
 */
@Connector(
        displayName = "pgtier",
        description = "Tiered PostgreSQL connections (primary, backup, failover) with failover, failback,"
                + " health and metrics",
        vendorName = "pgtier",
        eisType = "PostgreSQL",
        version = "0.1",
        transactionSupport = TransactionSupport.TransactionSupportLevel.XATransaction,
        reauthenticationSupport = false)
public class PgTierResourceAdapter implements ResourceAdapter, Serializable {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = Logger.getLogger(PgTierResourceAdapter.class.getName());

    private final transient TierRegistry tiers = new TierRegistry(PgTierResourceAdapter::logTransition);
    private transient volatile TransactionSynchronizationRegistry transactions;

    @Override
    public void start(BootstrapContext context) throws ResourceAdapterInternalException {
        try {
            transactions = context.getTransactionSynchronizationRegistry();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "pgtier: no TransactionSynchronizationRegistry from the container;"
                    + " fatal errors will not mark transactions rollback-only", e);
        }
        LOG.info("pgtier resource adapter started");
    }

    @Override
    public void stop() {
        ClassLoader ours = PgTierResourceAdapter.class.getClassLoader();
        for (Driver driver : Collections.list(DriverManager.getDrivers())) {
            if (driver.getClass().getClassLoader() == ours) {
                try {
                    DriverManager.deregisterDriver(driver);
                } catch (SQLException e) {
                    LOG.log(Level.WARNING, "pgtier: could not deregister " + driver, e);
                }
            }
        }
        transactions = null;
        LOG.info("pgtier resource adapter stopped");
    }

    /** The tiers shared by this adapter's pools. */
    public TierRegistry tiers() {
        return tiers;
    }

    /** The container's registry, or {@code null} outside a container (or before {@code start}). */
    public TransactionSynchronizationRegistry transactions() {
        return transactions;
    }

    @Override
    public void endpointActivation(MessageEndpointFactory factory, ActivationSpec spec) throws ResourceException {
        throw new jakarta.resource.NotSupportedException("pgtier has no inbound (message) contract");
    }

    @Override
    public void endpointDeactivation(MessageEndpointFactory factory, ActivationSpec spec) {
        // no inbound contract
    }

    /** Payara recovers XA branches through the pools' managed connections, not here. */
    @Override
    public XAResource[] getXAResources(ActivationSpec[] specs) {
        return new XAResource[0];
    }

    private static void logTransition(io.pgtier.api.TierId tier, io.pgtier.api.BreakerState from,
            io.pgtier.api.BreakerState to) {
        LOG.log(to == io.pgtier.api.BreakerState.OPEN ? Level.WARNING : Level.INFO,
                "pgtier: breaker of tier {0}: {1} -> {2}", new Object[] {tier.label(), from, to});
    }

    // A JavaBean with no configuration: identity is equality (JCA requires equals/hashCode).
    @Override
    public boolean equals(Object other) {
        return this == other;
    }

    @Override
    public int hashCode() {
        return System.identityHashCode(this);
    }
}
