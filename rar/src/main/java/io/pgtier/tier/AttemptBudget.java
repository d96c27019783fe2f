package io.pgtier.tier;

import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * A token bucket over one tier's connection attempts, so that no fault turns pgtier into a load on
 * a server: a burst of {@code capacity} attempts, then {@code perSecond} a second. A pool filling up
 * or replacing its connections after a failback stays well within it; a storm of callers retrying
 * against a failing server does not. Written here rather than taken from a library (Bucket4j,
 * Resilience4j's RateLimiter) because it is twenty lines under one lock and the RAR stays small.
 */
public final class AttemptBudget {

    private final int capacity;
    private final double perNano;
    private final LongSupplier nanoClock;
    private double tokens;
    private long lastNanos;

    public AttemptBudget(int capacity, int perSecond, LongSupplier nanoClock) {
        if (capacity < 1 || perSecond < 1) {
            throw new IllegalArgumentException(Messages.badSetting("attempt budget", capacity + "/" + perSecond, ">= 1"));
        }
        this.capacity = capacity;
        this.perNano = perSecond / 1e9;
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
        this.tokens = capacity;
        this.lastNanos = nanoClock.getAsLong();
    }

    /** Takes one attempt's token; {@code false} when the bucket is empty. */
    public synchronized boolean tryTake() {
        long now = nanoClock.getAsLong();
        tokens = Math.min(capacity, tokens + (now - lastNanos) * perNano);
        lastNanos = now;
        if (tokens < 1) {
            return false;
        }
        tokens -= 1;
        return true;
    }

    /** Attempts a second once the burst is spent. */
    public int perSecond() {
        return (int) Math.round(perNano * 1e9);
    }
}
