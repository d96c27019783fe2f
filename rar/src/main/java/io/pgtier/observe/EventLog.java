package io.pgtier.observe;

import io.pgtier.api.PgTierEvent;
import io.pgtier.api.TierId;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.function.Predicate;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The adapter's recent decisions, newest last, at most {@link #CAPACITY}: what an operator reads
 * in {@code status()}, {@code /api/status}, JMX and the page. Every event is also logged, at
 * WARNING when something was lost (a tier down, a breaker open) and INFO otherwise, with its id.
 *
 * <p>A lock around a small deque: events are rare (a handful per fault), never on the connection
 * hot path, and a snapshot must be consistent.
 */
public final class EventLog {

    public static final int CAPACITY = 200;

    private static final Logger LOG = Logger.getLogger(EventLog.class.getName());

    private final Clock clock;
    private final Deque<PgTierEvent> events = new ArrayDeque<>();

    public EventLog(Clock clock) {
        this.clock = clock;
    }

    public EventLog() {
        this(Clock.systemUTC());
    }

    /** Records and logs one event. */
    public PgTierEvent record(Kind kind, String pool, TierId tier, String endpoint, String reason, String actor) {
        return record(kind, kind.level, pool, tier, endpoint, reason, actor);
    }

    /** As above, logged at {@code level} (a breaker opening is a WARNING, its closing INFO). */
    public PgTierEvent record(Kind kind, Level level, String pool, TierId tier, String endpoint, String reason,
            String actor) {
        return record(kind, level, pool, tier, endpoint, reason, actor, null);
    }

    /** As above, for an action taken, or a change seen, on the grid's {@code instance}. */
    public PgTierEvent record(Kind kind, String pool, TierId tier, String endpoint, String reason, String actor,
            String instance) {
        return record(kind, kind.level, pool, tier, endpoint, reason, actor, instance);
    }

    private PgTierEvent record(Kind kind, Level level, String pool, TierId tier, String endpoint, String reason,
            String actor, String instance) {
        PgTierEvent event = new PgTierEvent(clock.instant(), kind.id, pool, tier, endpoint, reason, actor, instance);
        synchronized (events) {
            if (events.size() == CAPACITY) {
                events.removeFirst();
            }
            events.addLast(event);
        }
        LOG.log(level, () -> format(event));
        return event;
    }

    /** The recorded events that {@code concerns} accepts, oldest first. */
    public List<PgTierEvent> recent(Predicate<PgTierEvent> concerns) {
        List<PgTierEvent> copy;
        synchronized (events) {
            copy = new ArrayList<>(events);
        }
        copy.removeIf(concerns.negate());
        return copy;
    }

    /** One line, as logged: {@code PGT-301 pgtier[orders] tier primary (jdbc:…): down: … (by alice)}. */
    public static String format(PgTierEvent e) {
        StringBuilder line = new StringBuilder(e.id()).append(" pgtier");
        if (e.pool() != null) {
            line.append('[').append(e.pool()).append(']');
        }
        if (e.tier() != null) {
            line.append(" tier ").append(e.tier().label());
            if (e.endpoint() != null) {
                line.append(" (").append(e.endpoint()).append(')');
            }
        }
        line.append(": ").append(e.reason());
        if (e.actor() != null || e.instance() != null) {
            line.append(" (");
            if (e.actor() != null) {
                line.append("by ").append(e.actor()).append(e.instance() != null ? " " : "");
            }
            if (e.instance() != null) {
                line.append("on ").append(e.instance());
            }
            line.append(')');
        }
        return line.toString();
    }

    /** The kinds of event, each with its stable id. */
    public enum Kind {
        TIER_DOWN("PGT-301", Level.WARNING),
        TIER_UP("PGT-302", Level.INFO),
        BREAKER("PGT-303", Level.INFO),
        FAILBACK("PGT-304", Level.INFO),
        WORK_MOVED("PGT-305", Level.WARNING),
        DRAINED("PGT-306", Level.INFO),
        PREFERRED("PGT-307", Level.INFO),
        RESUMED("PGT-308", Level.INFO),
        LEAKS_RECLAIMED("PGT-309", Level.WARNING),
        ROLE_CHANGED("PGT-310", Level.WARNING),
        SERVER_RESTARTED("PGT-311", Level.WARNING),
        HELD_BACK("PGT-312", Level.WARNING),
        HINTED("PGT-313", Level.INFO);

        private final String id;
        private final Level level;

        Kind(String id, Level level) {
            this.id = id;
            this.level = level;
        }

        public String id() {
            return id;
        }
    }
}
