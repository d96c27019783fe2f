package io.pgtier.api;

import java.util.List;
import javax.sql.DataSource;

/**
 * What a pgtier {@link DataSource} offers beyond JDBC, for beans that want it (health checks,
 * metrics, an operator page): a snapshot of its pool and tiers. Beans that only need connections
 * never import it: {@code @Resource(lookup = "jca/pgtier") DataSource ds} is enough. Reach it with
 * {@code ds.unwrap(TieredDataSource.class)}.
 */
public interface TieredDataSource extends DataSource {

    /** The pool now: its tiers, counters and the monitor's last round. */
    PoolStatus status();

    /** The pool's counters since start, for metrics: waits, and per tier sessions, statements, faults. */
    PoolMetrics metrics();

    /**
     * Stops new connections to {@code tier} ("primary", "backup", "failover") for every pool of the
     * adapter; idle connections are retired, in-use ones when returned. {@code actor} (who asked)
     * is recorded with the event.
     *
     * @throws IllegalArgumentException if this pool has no such tier
     */
    void drain(String tier, String actor);

    /** Makes {@code tier} this pool's first choice while it can serve (a planned switchover); see {@link #drain}. */
    void prefer(String tier, String actor);

    /** Undoes a drain of {@code tier} and this pool's preference; see {@link #drain}. */
    void resume(String tier, String actor);

    /**
     * Every application-server instance's view of its tiers, as each last shared it on the server's
     * data grid (Payara's Domain Data Grid), by instance name; without a grid, this instance's alone.
     */
    default List<InstanceView> instances() {
        return List.of();
    }

    /** Each configured tier in walk order, as of now. */
    default List<TierStatus> tiers() {
        return status().tiers();
    }
}
