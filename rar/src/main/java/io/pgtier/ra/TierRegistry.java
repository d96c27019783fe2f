package io.pgtier.ra;

import io.pgtier.api.BreakerState;
import io.pgtier.api.TierId;
import io.pgtier.observe.EventLog;
import io.pgtier.tier.Breaker;
import io.pgtier.tier.BreakerConfig;
import io.pgtier.tier.BreakerListener;
import io.pgtier.tier.Tier;
import io.pgtier.tier.TierEndpoint;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The resource adapter's tiers, shared by its pools: two pools that name the same endpoint for
 * the same tier share one {@link Tier}, so one cap, one breaker and one health record. A tier is
 * identified by its role in the walk, URL, user and TLS settings; the first pool to name it sets its cap and
 * breaker, and a later pool that asks for a different cap is refused with a clear message rather
 * than silently getting the first one's.
 */
public final class TierRegistry {

    /** TLS is part of a tier's identity: its probes must connect exactly as its pool's sessions do. */
    private record Key(TierId id, String url, String user, TierEndpoint.Tls tls) {
    }

    private final Map<Key, Tier> tiers = new ConcurrentHashMap<>();
    private final EventLog events = new EventLog();
    private final BreakerListener listener;
    private final java.util.function.Consumer<Tier> closedAfterTrials;

    public TierRegistry(BreakerListener listener) {
        this(listener, tier -> { });
    }

    /**
     * @param closedAfterTrials told, under the breaker's lock, when a tier's breaker closes: its
     *                          half-open trials passed, or a probe or trial connection succeeded
     */
    public TierRegistry(BreakerListener listener, java.util.function.Consumer<Tier> closedAfterTrials) {
        this.listener = Objects.requireNonNull(listener, "listener");
        this.closedAfterTrials = Objects.requireNonNull(closedAfterTrials, "closedAfterTrials");
    }

    /** The shared tier for this endpoint; {@link IllegalArgumentException} when its cap disagrees. */
    public Tier tier(TierId id, TierEndpoint endpoint, BreakerConfig breaker) {
        Key key = new Key(id, endpoint.url(), endpoint.user(), endpoint.tls());
        Tier tier = tiers.computeIfAbsent(key, k -> newTier(id, endpoint, breaker));
        int cap = tier.endpoint().maxConnections();
        if (cap != endpoint.maxConnections()) {
            throw new IllegalArgumentException("the " + id.label() + " tier " + endpoint.safeUrl()
                    + " is shared with another pool of this adapter whose cap is " + cap
                    + "; give both pools the same " + id.label() + "MaxConnections");
        }
        tier.signOns().offer(endpoint.password());
        return tier;
    }

    /** What the adapter decided about its tiers, and what operators did. */
    public EventLog events() {
        return events;
    }

    public List<Tier> all() {
        return List.copyOf(tiers.values());
    }

    /**
     * Retires the connections of every tier below {@code tier} (a later id), as they are returned:
     * work moves back up to it (failback). Every pool of the adapter is concerned, since tiers are
     * shared; a pool whose own higher tier is not back simply reconnects to where it was.
     */
    public void retireBelow(Tier tier) {
        for (Tier lower : tiers.values()) {
            if (lower.id().compareTo(tier.id()) > 0) {
                lower.retireConnections();
            }
        }
    }

    private Tier newTier(TierId id, TierEndpoint endpoint, BreakerConfig config) {
        Tier[] self = new Tier[1];
        Breaker breaker = new Breaker(id, config, System::nanoTime, (tierId, from, to) -> {
            listener.onTransition(tierId, from, to);
            if (self[0] != null) {
                self[0].counters().breakerEntered(to);
            }
            events.record(EventLog.Kind.BREAKER, to == BreakerState.OPEN ? java.util.logging.Level.WARNING
                    : java.util.logging.Level.INFO, null, tierId, endpoint.safeUrl(), "breaker " + from + " -> " + to, null);
            if (from != BreakerState.CLOSED && to == BreakerState.CLOSED && self[0] != null) {
                closedAfterTrials.accept(self[0]);
            }
        });
        self[0] = new Tier(id, endpoint, breaker, System::nanoTime);
        return self[0];
    }
}
