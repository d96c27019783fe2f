package io.pgtier.api;

import java.util.List;

/**
 * One pool's counters since start, for metrics: how long callers waited for a connection, and
 * per tier what its sessions did. Counters only grow; {@code pending} is a reading of now. Safe to
 * show anywhere: it holds no URL and no credential.
 *
 * @param pool      the pool's name ({@code poolName})
 * @param waits     connections handed to callers of {@code getConnection}
 * @param waitNanos the time those callers waited, in total: the container's pool, plus creating a
 *                  session when it had none free
 * @param timeouts  {@code getConnection} calls the container failed without a pgtier error (on
 *                  Payara: its pool full for {@code max-wait-time-in-millis})
 * @param failedWaits {@code getConnection} calls that failed with pgtier's error: no tier could serve
 * @param pending   callers waiting in {@code getConnection} now
 * @param tiers     each configured tier, in walk order
 */
public record PoolMetrics(String pool, long waits, long waitNanos, long timeouts, long failedWaits, int pending,
                          List<TierMetrics> tiers) {
}
