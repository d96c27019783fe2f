package io.pgtier.api;

import java.util.List;
import javax.sql.DataSource;

/**
 * What a pgtier {@link DataSource} offers beyond JDBC, for beans that want it (health checks,
 * metrics, an operator page): which pool this is and a snapshot of its tiers. Beans that only
 * need connections never import it: {@code @Resource(lookup = "jca/pgtier") DataSource ds} is enough.
 */
public interface TieredDataSource extends DataSource {

    /** The pool's name, as in messages and metric tags. */
    String poolName();

    Purpose purpose();

    /** Each configured tier in walk order, as of now. */
    List<TierStatus> tiers();
}
