package io.pgtier.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.pgtier.api.PgTierEvent;
import io.pgtier.api.PoolStatus;
import io.pgtier.api.TierId;
import io.pgtier.api.TierState;
import io.pgtier.api.TieredConnection;
import io.pgtier.harness.FaultProxy;
import io.pgtier.harness.PgHarness;
import io.pgtier.harness.PgServer;
import java.lang.management.ManagementFactory;
import java.sql.Connection;
import java.util.List;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * An operator's drain, prefer and resume on a pool whose two tiers are two routes to one server
 * (so both can write): where new connections go, what happens to those in use and idle, what the
 * status and the event log say, through the API and through JMX.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OperatorsTest {

    private PgHarness harness;
    private PgServer server;
    private FaultProxy backupRoute;
    private TestPool pool;

    @BeforeAll
    void start() throws Exception {
        harness = PgHarness.create();
        server = harness.startPrimary("ops");
        backupRoute = harness.proxy("ops-backup", server);
        pool = TestPool.start(TestPool.factory("ops", "READ_WRITE", server.jdbcUrl(), backupRoute.jdbcUrl(), null));
    }

    @AfterEach
    void resumeAll() throws Exception {
        pool.dataSource.resume("primary", "test");
        pool.dataSource.resume("backup", "test");
        pool.manager.purgeInvalid(pool.factory); // what a test left on the backup retired with the resume
    }

    @AfterAll
    void stop() {
        pool.close();
        harness.close();
    }

    @Test
    @DisplayName("drain: new connections avoid the tier, idle ones end at once, one in use is never taken and retires when returned")
    void drain() throws Exception {
        Connection held = pool.connection();
        try (Connection idle = pool.connection()) {
            assertThat(tier(idle)).isEqualTo(TierId.PRIMARY);
        }
        assertThat(tier(held)).isEqualTo(TierId.PRIMARY);
        int destroyedBefore = pool.manager.destroyed.get();

        pool.dataSource.drain("primary", "alice");

        assertThat(pool.manager.destroyed.get() - destroyedBefore).as("the idle primary connection ended at once").isEqualTo(1);
        try (Connection next = pool.connection()) {
            assertThat(tier(next)).as("new work").isEqualTo(TierId.BACKUP);
        }
        assertThat(held.isValid(2)).as("the bean's connection is not taken").isTrue();
        held.close();
        assertThat(sessions(TierId.PRIMARY)).as("the returned one retired: the drained tier holds none").isZero();
        PoolStatus status = pool.dataSource.status();
        assertThat(status.tiers().get(0).state()).isEqualTo(TierState.DRAINED);
        assertThat(last("PGT-306")).satisfies(e -> {
            assertThat(e.actor()).isEqualTo("alice");
            assertThat(e.pool()).isEqualTo("ops");
            assertThat(e.tier()).isEqualTo(TierId.PRIMARY);
        });

        pool.dataSource.resume("primary", "alice");

        try (Connection back = pool.connection()) {
            assertThat(tier(back)).as("after resume").isEqualTo(TierId.PRIMARY);
        }
        assertThat(last("PGT-308").actor()).isEqualTo("alice");
    }

    @Test
    @DisplayName("prefer: a planned switchover; the old tier's connections move as they are returned, and status shows it empty")
    void prefer() throws Exception {
        Connection held = pool.connection();
        assertThat(tier(held)).isEqualTo(TierId.PRIMARY);

        pool.dataSource.prefer("backup", "bob");

        try (Connection next = pool.connection()) {
            assertThat(tier(next)).isEqualTo(TierId.BACKUP);
        }
        assertThat(sessions(TierId.PRIMARY)).as("the bean still holds its primary connection").isEqualTo(1);
        held.close();
        assertThat(sessions(TierId.PRIMARY)).as("moved off as it was returned").isZero();
        assertThat(pool.dataSource.status().preferred()).isEqualTo(TierId.BACKUP);
        assertThat(last("PGT-307").actor()).isEqualTo("bob");

        pool.dataSource.resume("backup", "bob");

        assertThat(pool.dataSource.status().preferred()).isNull();
    }

    @Test
    @DisplayName("a preference never takes work from the only tier that can serve: preferred but drained, the primary keeps its connections")
    void preferenceYieldsToTheTierThatServes() throws Exception {
        pool.dataSource.prefer("backup", "carol");
        pool.dataSource.drain("backup", "carol");
        Connection c = pool.connection();
        assertThat(tier(c)).isEqualTo(TierId.PRIMARY);
        int pid = c.unwrap(org.postgresql.PGConnection.class).getBackendPID();
        c.close();
        try (Connection again = pool.connection()) {
            assertThat(again.unwrap(org.postgresql.PGConnection.class).getBackendPID()).as("reused, not retired").isEqualTo(pid);
        }
    }

    @Test
    @DisplayName("refused: draining the last tier that can serve a pool, and preferring a tier the pool cannot use")
    void refusals() throws Exception {
        pool.dataSource.drain("backup", "erin");
        IllegalStateException last = catchThrowableOfType(IllegalStateException.class,
                () -> pool.dataSource.drain("primary", "erin"));
        assertThat(last.getMessage()).contains("PGT-228").contains("primary");
        assertThat(pool.dataSource.status().tiers().get(0).state()).as("still serving").isEqualTo(TierState.UP);
        IllegalStateException drained = catchThrowableOfType(IllegalStateException.class,
                () -> pool.dataSource.prefer("backup", "erin"));
        assertThat(drained.getMessage()).contains("PGT-229").contains("drained");
        assertThat(pool.dataSource.status().preferred()).isNull();
        try (Connection c = pool.connection()) {
            assertThat(tier(c)).isEqualTo(TierId.PRIMARY);
        }
    }

    @Test
    @DisplayName("an unknown tier is refused with the pool's tiers named, and nothing changes")
    void unknownTier() {
        IllegalArgumentException refused = catchThrowableOfType(IllegalArgumentException.class,
                () -> pool.dataSource.drain("secondary", "dave"));
        assertThat(refused.getMessage()).contains("PGT-226").contains("pgtier[ops]").contains("'secondary'")
                .contains("primary, backup");
        assertThat(pool.dataSource.status().tiers()).allSatisfy(t -> assertThat(t.state()).isNotEqualTo(TierState.DRAINED));
    }

    @Test
    @DisplayName("JMX: the pool's bean io.pgtier:type=Pool,name=\"ops\" shows the tiers and events, and its drain works like the API's")
    void jmx() throws Exception {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        ObjectName name = new ObjectName("io.pgtier:type=Pool,name=" + ObjectName.quote("ops"));

        server.invoke(name, "drain", new Object[] {"backup"}, new String[] {String.class.getName()});

        assertThat(pool.dataSource.status().tiers().get(1).state()).isEqualTo(TierState.DRAINED);
        assertThat((String[]) server.getAttribute(name, "Tiers"))
                .anySatisfy(line -> assertThat(line).startsWith("backup DRAINED"));
        assertThat((String[]) server.getAttribute(name, "RecentEvents"))
                .anySatisfy(line -> assertThat(line).contains("PGT-306").contains("(by jmx)"));
        assertThat(server.getAttribute(name, "Pool")).isEqualTo("ops");
    }

    @Test
    @DisplayName("JMX: a pool of the same name in a second adapter gets its own bean; stopping either removes only its own")
    void jmxTwoAdapters() throws Exception {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        ObjectName first = new ObjectName("io.pgtier:type=Pool,name=" + ObjectName.quote("ops"));
        io.pgtier.ra.PgTierResourceAdapter otherAdapter = new io.pgtier.ra.PgTierResourceAdapter();
        TestPool other = TestPool.start(otherAdapter, TestPool.factory("ops", "READ_WRITE",
                this.server.jdbcUrl(), backupRoute.jdbcUrl(), null));
        try {
            java.util.Set<ObjectName> names = server.queryNames(new ObjectName("io.pgtier:type=Pool,name=\"ops\",*"), null);
            assertThat(names).as("both adapters' beans").hasSize(2).contains(first);
            ObjectName second = names.stream().filter(n -> !n.equals(first)).findFirst().orElseThrow();
            assertThat(second.getKeyProperty("adapter")).isNotBlank();
            server.invoke(second, "drain", new Object[] {"primary"}, new String[] {String.class.getName()});
            assertThat(other.dataSource.status().tiers().get(0).state()).as("the second adapter's pool, drained").isEqualTo(TierState.DRAINED);
            assertThat(pool.dataSource.status().tiers().get(0).state()).as("the first adapter's, untouched").isEqualTo(TierState.UP);

            try {
                otherAdapter.stop();
            } finally {
                // stop() deregisters the drivers of the adapter's class loader: here, the tests' own.
                java.sql.DriverManager.registerDriver(new org.postgresql.Driver());
            }

            assertThat(server.isRegistered(second)).isFalse();
            assertThat(server.isRegistered(first)).as("the first adapter's bean stays").isTrue();
        } finally {
            other.close();
        }
    }

    private PgTierEvent last(String id) {
        List<PgTierEvent> events = pool.dataSource.status().events().stream().filter(e -> e.id().equals(id)).toList();
        assertThat(events).as("events " + id).isNotEmpty();
        return events.get(events.size() - 1);
    }

    private int sessions(TierId tier) {
        return pool.dataSource.status().sessions().get(tier);
    }

    private static TierId tier(Connection c) throws Exception {
        return c.unwrap(TieredConnection.class).tier();
    }
}
