package io.pgtier.spi;

import jakarta.resource.spi.ConnectionEvent;
import jakarta.resource.spi.ConnectionEventListener;
import jakarta.resource.spi.ManagedConnection;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The container's listeners of one managed connection, the two events pgtier fires — a handle
 * closed (the connection may be reused) or an error (the container must destroy it) — and the
 * connection's {@link Lifecycle}, whose transitions decide whether an event may fire. Fired on the
 * calling thread, never from a monitor's.
 */
final class ConnectionEvents {

    private final ManagedConnection source;
    private final List<ConnectionEventListener> listeners = new CopyOnWriteArrayList<>();
    private final AtomicReference<Lifecycle> life = Lifecycle.start();

    ConnectionEvents(ManagedConnection source) {
        this.source = source;
    }

    void add(ConnectionEventListener listener) {
        listeners.add(listener);
    }

    void remove(ConnectionEventListener listener) {
        listeners.remove(listener);
    }

    Lifecycle state() {
        return life.get();
    }

    boolean open() {
        return life.get() == Lifecycle.OPEN;
    }

    /** OPEN to BROKEN, for the one caller that then fires the error (or throws instead). */
    boolean breakOnce() {
        return Lifecycle.markBroken(life);
    }

    /** OPEN to BROKEN and the error event, once. */
    boolean errorOnce(Object handle, Exception error) {
        if (!Lifecycle.markBroken(life)) {
            return false;
        }
        error(handle, error);
        return true;
    }

    /** OPEN to DETACHED: the container let the connection go, and is told nothing more. */
    boolean detach() {
        if (!Lifecycle.markDetached(life)) {
            return false;
        }
        listeners.clear();
        return true;
    }

    /** To DESTROYED, once; from DETACHED only when {@code detachedOnly}. */
    boolean destroyOnce(boolean detachedOnly) {
        return (!detachedOnly || life.get() == Lifecycle.DETACHED) && Lifecycle.markDestroyed(life);
    }

    void closed(Object handle) {
        ConnectionEvent event = new ConnectionEvent(source, ConnectionEvent.CONNECTION_CLOSED);
        event.setConnectionHandle(handle);
        for (ConnectionEventListener listener : listeners) {
            listener.connectionClosed(event);
        }
    }

    void error(Object handle, Exception error) {
        ConnectionEvent event = new ConnectionEvent(source, ConnectionEvent.CONNECTION_ERROR_OCCURRED, error);
        if (handle != null) {
            event.setConnectionHandle(handle);
        }
        for (ConnectionEventListener listener : listeners) {
            listener.connectionErrorOccurred(event);
        }
    }
}
