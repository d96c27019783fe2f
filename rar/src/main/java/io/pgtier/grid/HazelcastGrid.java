package io.pgtier.grid;

import com.hazelcast.core.EntryEvent;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.LifecycleEvent;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryMergedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import com.hazelcast.topic.ITopic;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@link Grid} on the Hazelcast instance Payara runs: an {@code IMap} of operator actions (its
 * backups keep them when an instance is lost: one backup by default, and Payara must not group
 * members by host when they share one, {@code --nohostaware}), a topic for hints, and an
 * {@code IMap} of views that expire when their instance stops writing them. Only this class names
 * Hazelcast's types.
 */
final class HazelcastGrid implements Grid {

    static final String STATE = "pgtier-operator-state";
    static final String VIEWS = "pgtier-instance-views";
    static final String HINTS = "pgtier-hints";
    /** Payara keeps each member's instance name here (HazelcastCore.INSTANCE_ATTRIBUTE_MAP, INSTANCE_ATTRIBUTE). */
    private static final String PAYARA_ATTRIBUTES = "payara-instance-map";
    private static final String PAYARA_INSTANCE = "GLASSFISH-INSTANCE";

    private static final Logger LOG = Logger.getLogger(HazelcastGrid.class.getName());

    private final HazelcastInstance hazelcast;
    private final IMap<String, String> state;
    private final IMap<String, String> views;
    private final ITopic<String> hints;
    private final UUID stateListener;
    private final UUID hintListener;
    private final UUID lifecycleListener;
    private volatile String instance;

    private HazelcastGrid(HazelcastInstance hazelcast, Listener listener) {
        this.hazelcast = hazelcast;
        this.state = hazelcast.getMap(STATE);
        this.views = hazelcast.getMap(VIEWS);
        this.hints = hazelcast.getTopic(HINTS);
        this.stateListener = state.addEntryListener(new StateEvents(listener), true);
        this.hintListener = hints.addMessageListener(message -> {
            String[] parts = message.getMessageObject().split("\n", 3);
            if (parts.length == 3) {
                listener.hinted(parts[1], parts[2], parts[0]);
            }
        });
        this.lifecycleListener = hazelcast.getLifecycleService().addLifecycleListener(event -> {
            if (event.getState() == LifecycleEvent.LifecycleState.MERGED) {
                listener.merged();
            }
        });
    }

    static Grid attach(Object hazelcast, Listener listener) {
        return new HazelcastGrid((HazelcastInstance) hazelcast, listener);
    }

    @Override
    public String instance() {
        String known = instance;
        if (known != null) {
            return known;
        }
        UUID self = hazelcast.getCluster().getLocalMember().getUuid();
        try {
            Object attributes = hazelcast.getMap(PAYARA_ATTRIBUTES).get(self);
            if (attributes instanceof Map<?, ?> map && map.get(PAYARA_INSTANCE) instanceof String name && !name.isBlank()) {
                instance = name;
                return name;
            }
        } catch (RuntimeException notPayaras) {
            LOG.log(Level.FINE, "pgtier: no Payara instance name in the grid", notPayaras);
        }
        // Not named (yet): the member's address, which is unique in the grid.
        return hazelcast.getCluster().getLocalMember().getAddress().toString();
    }

    @Override
    public Map<String, String> state() {
        return new HashMap<>(state);
    }

    @Override
    public String state(String key) {
        return state.get(key);
    }

    @Override
    public boolean replace(String key, String expected, String value) {
        return expected == null ? state.putIfAbsent(key, value) == null : state.replace(key, expected, value);
    }

    @Override
    public void hint(String key, String what) {
        hints.publish(instance() + "\n" + key + "\n" + what);
    }

    @Override
    public void putView(String view, long ttlSeconds) {
        views.put(instance(), view, ttlSeconds, TimeUnit.SECONDS);
    }

    @Override
    public Map<String, String> views() {
        return new HashMap<>(views);
    }

    @Override
    public void close() {
        try {
            state.removeEntryListener(stateListener);
            hints.removeMessageListener(hintListener);
            hazelcast.getLifecycleService().removeLifecycleListener(lifecycleListener);
            views.delete(instance());
        } catch (RuntimeException e) {
            // The grid may be shutting down with the server: nothing of ours is left to undo then.
            LOG.log(Level.FINE, "pgtier: leaving the grid", e);
        }
    }

    private record StateEvents(Listener listener) implements EntryAddedListener<String, String>,
            EntryUpdatedListener<String, String>, EntryMergedListener<String, String> {

        @Override
        public void entryAdded(EntryEvent<String, String> event) {
            listener.stateChanged(event.getKey(), event.getValue());
        }

        @Override
        public void entryUpdated(EntryEvent<String, String> event) {
            listener.stateChanged(event.getKey(), event.getValue());
        }

        @Override
        public void entryMerged(EntryEvent<String, String> event) {
            listener.stateChanged(event.getKey(), event.getValue());
        }
    }
}
