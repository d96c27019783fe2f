package io.pgtier.api;

/**
 * Whether a tier takes new connections. {@code DOWN} is the health monitor's verdict;
 * {@code DRAINED} is the operator's decision and wins over the monitor's: a drained tier takes no
 * new connections even while healthy, and its existing ones are retired as they are returned.
 */
public enum TierState {
    UP,
    DOWN,
    DRAINED
}
