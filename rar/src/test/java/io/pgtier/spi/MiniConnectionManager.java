package io.pgtier.spi;

import jakarta.resource.ResourceException;
import jakarta.resource.spi.ConnectionEvent;
import jakarta.resource.spi.ConnectionEventListener;
import jakarta.resource.spi.ConnectionManager;
import jakarta.resource.spi.ConnectionRequestInfo;
import jakarta.resource.spi.ManagedConnection;
import jakarta.resource.spi.ManagedConnectionFactory;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The smallest container pool that follows the JCA contract, for testing the adapter without a
 * server: match an idle connection or create one; on CONNECTION_CLOSED clean it up and keep it;
 * on CONNECTION_ERROR_OCCURRED destroy it. It records what it saw, so tests can assert events.
 * (The real container is exercised by the Arquillian tests.)
 */
final class MiniConnectionManager implements ConnectionManager, ConnectionEventListener {

    private static final long serialVersionUID = 1L;

    private final Set<ManagedConnection> idle = new HashSet<>();
    private final List<ManagedConnection> all = new CopyOnWriteArrayList<>();
    final AtomicInteger created = new AtomicInteger();
    final AtomicInteger destroyed = new AtomicInteger();
    final List<ConnectionEvent> errors = new CopyOnWriteArrayList<>();

    @Override
    public synchronized Object allocateConnection(ManagedConnectionFactory factory, ConnectionRequestInfo info)
            throws ResourceException {
        ManagedConnection mc = factory.matchManagedConnections(new HashSet<>(idle), null, info);
        if (mc != null) {
            idle.remove(mc);
        } else {
            mc = factory.createManagedConnection(null, info);
            mc.addConnectionEventListener(this);
            all.add(mc);
            created.incrementAndGet();
        }
        return mc.getConnection(null, info);
    }

    @Override
    public synchronized void connectionClosed(ConnectionEvent event) {
        ManagedConnection mc = (ManagedConnection) event.getSource();
        try {
            mc.cleanup();
            idle.add(mc);
        } catch (ResourceException e) {
            destroy(mc);
        }
    }

    @Override
    public synchronized void connectionErrorOccurred(ConnectionEvent event) {
        errors.add(event);
        destroy((ManagedConnection) event.getSource());
    }

    /** What the container's validation or resizer does: drop what the factory calls invalid. */
    synchronized int purgeInvalid(ManagedConnectionFactory factory) throws ResourceException {
        Set<?> invalid = ((jakarta.resource.spi.ValidatingManagedConnectionFactory) factory).getInvalidConnections(new HashSet<>(idle));
        for (Object mc : invalid) {
            destroy((ManagedConnection) mc);
        }
        return invalid.size();
    }

    synchronized int idleCount() {
        return idle.size();
    }

    /** Destroys every connection, as an undeploy does. */
    synchronized void close() {
        for (ManagedConnection mc : all) {
            destroy(mc);
        }
    }

    private void destroy(ManagedConnection mc) {
        idle.remove(mc);
        if (all.remove(mc)) {
            try {
                mc.destroy();
            } catch (ResourceException ignored) {
                // destroy() of a pgtier connection does not throw
            }
            destroyed.incrementAndGet();
        }
    }

    @Override
    public void localTransactionStarted(ConnectionEvent event) {
    }

    @Override
    public void localTransactionCommitted(ConnectionEvent event) {
    }

    @Override
    public void localTransactionRolledback(ConnectionEvent event) {
    }
}
