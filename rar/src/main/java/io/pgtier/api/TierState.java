package io.pgtier.api;

/**
 * A tier's health as pgtier judges it, and whether it takes new connections.
 *
 * <ul>
 *   <li>{@code UP}: serves in walk order.</li>
 *   <li>{@code SUSPECT}: connection attempts to it failed at the server or on the way there; it
 *       still serves in walk order, and the monitor re-probes it on its fast schedule.</li>
 *   <li>{@code PROBATION}: it came back after being down or suspect and is tried after the other
 *       tiers until its failback time is over, so a flapping server does not pull work back and
 *       forth. Where no other tier can serve, it serves at once.</li>
 *   <li>{@code DOWN}: the monitor's verdict. No new connections, except one caller's trial when no
 *       other tier can serve; re-probed on the fast schedule.</li>
 *   <li>{@code DRAINED}: the operator's decision, which wins over the monitor's.</li>
 * </ul>
 */
public enum TierState {
    UP,
    SUSPECT,
    PROBATION,
    DOWN,
    DRAINED;

    /** Whether a tier in this state takes new connections in the normal walk. */
    public boolean serves() {
        return this == UP || this == SUSPECT || this == PROBATION;
    }
}
