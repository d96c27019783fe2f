package io.pgtier.api;

import java.time.Instant;

/**
 * A point-in-time snapshot of one tier, for health checks, metrics, JMX and the status endpoint.
 * The fields are read one by one without a common lock, so they are each accurate but not
 * necessarily mutually consistent (an acquisition may land between two reads); that is enough for
 * monitoring and avoids stalling connection creation.
 *
 * @param id              which tier
 * @param endpoint        the JDBC URL with any password parameter masked; safe to show anywhere
 * @param state           see {@link TierState}
 * @param breaker         the breaker's state
 * @param role            the server's last observed role
 * @param lagBytes        replication lag of a standby in bytes, {@code -1} when unknown
 * @param probeMicros     how long the monitor's last good probe took, {@code -1} before the first
 * @param openConnections physical connections open now (counted against the cap)
 * @param maxConnections  the tier's cap, shared by every pool of the adapter
 * @param acquired        physical connections created on this tier since start
 * @param failures        failed connection attempts on this tier since start
 * @param breakerRetryAt  when an {@code OPEN} breaker will let a trial through; {@code null} otherwise
 * @param probationEndsAt when a tier on {@code PROBATION} is back in walk order; {@code null} otherwise
 * @param inDoubt         XA branches prepared in the tier's database and not yet committed or rolled
 *                        back, as the last good probe saw them: the transaction manager's recovery
 *                        resolves them; any that stay are holding locks
 * @param oldestInDoubtAt when the oldest of those was prepared; {@code null} when there is none
 */
public record TierStatus(
        TierId id,
        String endpoint,
        TierState state,
        BreakerState breaker,
        Role role,
        long lagBytes,
        long probeMicros,
        int openConnections,
        int maxConnections,
        long acquired,
        long failures,
        Instant breakerRetryAt,
        Instant probationEndsAt,
        int inDoubt,
        Instant oldestInDoubtAt) {
}
