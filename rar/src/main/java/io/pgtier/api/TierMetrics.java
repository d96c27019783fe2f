package io.pgtier.api;

import java.util.Map;

/**
 * One tier's counters as one pool sees them, for metrics. The first group is this pool's own (a
 * tier shared by two pools counts each pool's sessions in its own pool); the second is the tier's,
 * the same for every pool that has it, and is to be published once per tier, not per pool.
 *
 * @param id              which tier
 * @param server          the tier's user, hosts, ports and database ({@code user@host:port/db}),
 *                        without parameters: the same for every pool that shares the tier
 * @param used            this pool's connections on the tier handed out by the container now
 * @param idle            this pool's connections on the tier idle in the container's pool now
 * @param created         sessions this pool opened on the tier
 * @param createNanos     the time opening them took, in total (a connect that waited out an
 *                        outage counts the wait)
 * @param statements      statements (and the container's commits and rollbacks, a bean's {@code commit()}, XA
 *                        steps) this pool's sessions ran on the tier
 * @param statementNanos  the time the sessions spent executing them, in total (two statements at
 *                        once on one session count the time once)
 * @param aborted         this pool's sessions on the tier whose socket pgtier closed: a down verdict,
 *                        a stalled statement, a transaction that ended under a running one
 * @param failovers       times this READ_WRITE pool's new work moved to this tier because the one
 *                        above stopped serving (PGT-305)
 * @param failbacks       times the tier got the work back after its failback time (PGT-304)
 * @param breakerTransitions the tier's breaker transitions, by the state entered
 * @param probeMicros     how long the monitor's last good probe of the tier took, {@code -1} before the first
 * @param lagBytes        the tier's replication lag as a standby, 0 on a primary, {@code -1} before the first probe
 */
public record TierMetrics(TierId id, String server, int used, int idle, long created, long createNanos,
                          long statements, long statementNanos, long aborted, long failovers,
                          long failbacks, Map<BreakerState, Long> breakerTransitions, long probeMicros, long lagBytes) {
}
