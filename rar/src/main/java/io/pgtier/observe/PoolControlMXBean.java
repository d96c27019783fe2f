package io.pgtier.observe;

/**
 * One pool as JMX shows it ({@code io.pgtier:type=Pool,name=<pool>}): its state, its recent
 * events, and the operator's actions. Registered by the adapter when the pool is created and
 * removed when the adapter stops. Strings and string arrays only, so any JMX console shows them.
 */
public interface PoolControlMXBean {

    String getPool();

    String getPurpose();

    /** The tier an operator prefers, or an empty string for walk order. */
    String getPreferred();

    /** One line per tier: state, role, breaker, probation, lag, this pool's sessions, open/cap, in doubt. */
    String[] getTiers();

    /** The pool's recent events, oldest first, one line each as logged. */
    String[] getRecentEvents();

    /** See {@code TieredDataSource.drain}; recorded as asked by the JMX user. */
    void drain(String tier);

    void prefer(String tier);

    void resume(String tier);
}
