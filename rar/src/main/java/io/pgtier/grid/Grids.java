package io.pgtier.grid;

import java.util.logging.Level;
import java.util.logging.Logger;
import javax.naming.InitialContext;
import javax.naming.NamingException;

/**
 * Finds the data grid of the server the adapter runs in. Payara binds its Hazelcast instance at
 * {@code payara/Hazelcast} when its Domain Data Grid is on (Micro without {@code --nocluster},
 * Server's deployment groups); the RAR's class loader sees Hazelcast's classes through Payara's
 * common class loader. Elsewhere (WildFly, GlassFish, {@code --nocluster}) there is none, and
 * every instance decides alone, as before; a lone Payara Server is a grid of one.
 */
public final class Grids {

    /** Where Payara binds its Hazelcast instance (its default {@code jndi-name}). */
    public static final String PAYARA_JNDI = "payara/Hazelcast";

    private static final Logger LOG = Logger.getLogger(Grids.class.getName());
    private static final String HAZELCAST = "com.hazelcast.core.HazelcastInstance";

    private Grids() {
    }

    /** The grid on a Hazelcast instance given directly (an application's own, or a test's), listening with {@code listener}. */
    public static Grid hazelcast(Object hazelcastInstance, Grid.Listener listener) {
        return HazelcastGrid.attach(hazelcastInstance, listener);
    }

    /** The grid this server runs, listening with {@code listener}; {@code null} when there is none (yet). */
    public static Grid find(Grid.Listener listener) {
        Class<?> type;
        try {
            type = Class.forName(HAZELCAST, false, Grids.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError notHere) {
            return null;
        }
        Object bound;
        try {
            bound = new InitialContext().lookup(PAYARA_JNDI);
        } catch (NamingException | RuntimeException none) {
            return null;
        }
        if (!type.isInstance(bound)) {
            return null;
        }
        try {
            // Named only here, after the check: on a server without Hazelcast this class is never loaded.
            return HazelcastGrid.attach(bound, listener);
        } catch (RuntimeException | LinkageError e) {
            LOG.log(Level.WARNING, "PGT-240 pgtier: Payara's data grid is up but could not be joined; this instance"
                    + " decides alone", e);
            return null;
        }
    }
}
