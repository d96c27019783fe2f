package io.pgtier.spi;

import jakarta.resource.spi.ConnectionEvent;
import jakarta.resource.spi.ConnectionEventListener;
import jakarta.resource.spi.ManagedConnection;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The container's listeners of one managed connection, and the two events pgtier fires: a handle
 * closed (the connection may be reused) or an error (the container must destroy it). Fired on the
 * calling thread, never from a monitor's.
 */
final class ConnectionEvents {

    private final ManagedConnection source;
    private final List<ConnectionEventListener> listeners = new CopyOnWriteArrayList<>();

    ConnectionEvents(ManagedConnection source) {
        this.source = source;
    }

    void add(ConnectionEventListener listener) {
        listeners.add(listener);
    }

    void remove(ConnectionEventListener listener) {
        listeners.remove(listener);
    }

    /** The container let the connection go: it is told nothing more. */
    void clear() {
        listeners.clear();
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
