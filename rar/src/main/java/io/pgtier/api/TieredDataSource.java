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

    /** Each configured tier in walk order, as of now. */
    default List<TierStatus> tiers() {
        return status().tiers();
    }
}
