package io.pgtier.api;

/**
 * A tier's circuit breaker, in Resilience4j's vocabulary: {@code CLOSED} lets every connection
 * attempt through, {@code OPEN} refuses them until its wait has elapsed, {@code HALF_OPEN} lets a
 * few trial attempts through to decide between the two.
 */
public enum BreakerState {
    CLOSED,
    OPEN,
    HALF_OPEN
}
