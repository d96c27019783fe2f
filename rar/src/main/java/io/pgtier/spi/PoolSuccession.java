package io.pgtier.spi;

import java.util.logging.Logger;

/**
 * Which pool serves a pool name of an adapter when Payara has made several. Payara re-creates a
 * pool whose properties change (a rotated password) with a new factory, but beans keep the
 * connection factory of the old one, whose new connections would then use the old settings until
 * the application is redeployed; and Payara makes more factories with the same settings (to
 * compare them, to ping, for recovery). So every factory of a name works through one registered
 * pool: the first one made with the newest settings. A pool's name is its identity within an
 * adapter (JMX names, metrics tags and the status key on it too), so only a named pool takes part,
 * and a pool of the same name with another purpose is taken for another pool (PGT-232), not a
 * re-creation.
 */
final class PoolSuccession {

    private static final Logger LOG = Logger.getLogger(PoolSuccession.class.getName());
    /** The {@code poolName} a pool gets when none is set. */
    private static final String DEFAULT_NAME = "pgtier";

    private PoolSuccession() {
    }

    /**
     * A new pool: registered for its name unless the registered one has the same settings. A
     * successor of a pool whose JMX bean is registered takes the bean's name over at once: the
     * container may never ask the new factory for a connection factory while beans hold the old.
     */
    static void register(PoolRuntime pool) {
        if (DEFAULT_NAME.equals(pool.name())) {
            return; // a pool left unnamed never succeeds another: two such pools would be taken for one
        }
        PoolRuntime[] succeeded = new PoolRuntime[1];
        pool.adapter().newestPools().compute(pool.name(), (name, previous) -> {
            if (previous instanceof PoolRuntime registered && registered.settings().equals(pool.settings())) {
                return registered;
            }
            if (previous instanceof PoolRuntime registered && registered.settings().purpose() != pool.settings().purpose()) {
                // Not a re-creation: another pool of the same name. Each keeps its own settings.
                LOG.warning(Messages.duplicatePoolName(name));
                return registered;
            }
            succeeded[0] = previous instanceof PoolRuntime registered ? registered : null;
            return pool;
        });
        if (succeeded[0] != null) {
            LOG.info(Messages.poolSucceeded(pool.name()));
            if (succeeded[0].exposed()) {
                pool.exposeOnce();
            }
        }
    }

    /** The registered pool of {@code pool}'s name: one map read, on every allocation. */
    static PoolRuntime newest(PoolRuntime pool) {
        return pool.adapter().newestPools().get(pool.name()) instanceof PoolRuntime registered
                && registered.settings().purpose() == pool.settings().purpose() ? registered : pool;
    }
}
