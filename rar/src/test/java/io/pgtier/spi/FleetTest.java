package io.pgtier.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.hazelcast.config.Config;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.pgtier.api.InstanceView;
import io.pgtier.api.PgTierEvent;
import io.pgtier.api.TierId;
import io.pgtier.api.TierState;
import io.pgtier.api.TieredConnection;
import io.pgtier.grid.Grids;
import io.pgtier.grid.SharedAction;
import io.pgtier.harness.FaultProxy;
import io.pgtier.harness.PgHarness;
import io.pgtier.harness.PgServer;
import io.pgtier.ra.PgTierResourceAdapter;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Adapters in one JVM standing for instances of a cluster, each on its own member of a real
 * Hazelcast cluster (loopback, tcp-ip): operator actions reach every adapter, a late one adopts
 * them before its first connection, a drain is held back where it would leave a pool nothing, and
 * after a split heals the newer action wins. The tiers are two routes to one server, so both write.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FleetTest {

    private static final String POOL = "fleet-rw";

    private PgHarness harness;
    private PgServer server;
    private FaultProxy backupRoute;
    private final List<HazelcastInstance> members = new ArrayList<>();
    private final List<TestPool> pools = new ArrayList<>();
    private final List<Integer> gridPorts = new ArrayList<>();
    private TestPool a;
    private TestPool b;

    @BeforeAll
    void start() throws Exception {
        for (int i = 0; i < 4; i++) {
            try (var socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
                gridPorts.add(socket.getLocalPort());
            }
        }
        harness = PgHarness.create();
        server = harness.startPrimary("fleet");
        backupRoute = harness.proxy("fleet-backup", server);
        a = instance(member(), server.jdbcUrl(), backupRoute.jdbcUrl());
        b = instance(member(), server.jdbcUrl(), backupRoute.jdbcUrl());
        await().atMost(Duration.ofSeconds(60)).until(() -> members.get(0).getCluster().getMembers().size() == 2);
    }

    @AfterAll
    void stop() {
        pools.forEach(TestPool::close);
        members.forEach(HazelcastInstance::shutdown);
        harness.close();
    }

    @Test
    @Order(1)
    @DisplayName("a drain through one adapter reaches the other: it opens nothing more on the tier, and records who and where")
    void drainReachesTheOther() throws Exception {
        a.dataSource.drain("primary", "alice");

        await().atMost(Duration.ofSeconds(5)).until(() -> state(b, TierId.PRIMARY) == TierState.DRAINED);
        try (Connection c = b.connection()) {
            assertThat(c.unwrap(TieredConnection.class).tier()).as("b's new work").isEqualTo(TierId.BACKUP);
        }
        PgTierEvent drained = last(b, "PGT-306");
        assertThat(drained.actor()).isEqualTo("alice");
        assertThat(drained.instance()).as("where it was taken").isEqualTo(name(0)).isNotEqualTo(name(1));
    }

    @Test
    @Order(2)
    @DisplayName("an adapter that starts later adopts the drain before its first connection")
    void lateAdapterAdopts() throws Exception {
        TestPool c = instance(member(), server.jdbcUrl(), backupRoute.jdbcUrl());
        await().atMost(Duration.ofSeconds(60)).until(() -> members.get(0).getCluster().getMembers().size() == 3);
        assertThat(state(c, TierId.PRIMARY)).as("at once, before any connection").isEqualTo(TierState.DRAINED);
        try (Connection first = c.connection()) {
            assertThat(first.unwrap(TieredConnection.class).tier()).isEqualTo(TierId.BACKUP);
        }
    }

    @Test
    @Order(3)
    @DisplayName("a resume through the other adapter reaches the first, and every adapter's view is listed")
    void resumeReachesTheFirst() {
        b.dataSource.resume("primary", "bob");

        await().atMost(Duration.ofSeconds(5)).until(() -> state(a, TierId.PRIMARY) == TierState.UP);
        assertThat(last(a, "PGT-308").actor()).isEqualTo("bob");
        List<InstanceView> views = a.dataSource.instances();
        assertThat(views).extracting(InstanceView::instance).contains(name(0));
        assertThat(views.get(0).tiers()).extracting(InstanceView.TierView::id).contains(TierId.PRIMARY, TierId.BACKUP);
    }

    @Test
    @Order(4)
    @DisplayName("a drain is held back where a pool of the same name has no other tier: it keeps serving from it")
    void drainHeldBackWhereItWouldLeaveNothing() throws Exception {
        TestPool alone = instance(member(), server.jdbcUrl(), null);
        await().atMost(Duration.ofSeconds(60)).until(() -> members.get(0).getCluster().getMembers().size() == 4);

        a.dataSource.drain("primary", "alice");

        await().atMost(Duration.ofSeconds(5)).until(() -> alone.dataSource.status().events().stream()
                .anyMatch(e -> e.id().equals("PGT-312")));
        assertThat(state(alone, TierId.PRIMARY)).isEqualTo(TierState.UP);
        try (Connection c = alone.connection()) {
            assertThat(c.unwrap(TieredConnection.class).tier()).isEqualTo(TierId.PRIMARY);
        }
        a.dataSource.resume("primary", "alice");
        await().atMost(Duration.ofSeconds(5)).until(() -> state(b, TierId.PRIMARY) == TierState.UP);
    }

    @Test
    @Order(5)
    @DisplayName("after a split heals with the older action in the grid, the adapter that knows the newer one writes it back")
    void newerActionWinsAfterASplit() {
        b.dataSource.drain("backup", "carol");
        String key = "tier " + POOL + "/backup";
        Map<String, String> grid = members.get(0).getMap("pgtier-operator-state");
        await().atMost(Duration.ofSeconds(5)).until(() -> grid.get(key) != null && grid.get(key).contains("drained"));
        SharedAction newest = SharedAction.decode(grid.get(key));

        // What the grid's merge may keep: the other side's older action, a resume.
        SharedAction older = new SharedAction(newest.version() - 1, newest.atMillis() + 60_000, "the-other-side", "dave",
                POOL, "resumed");
        grid.put(key, older.encode());

        await().atMost(Duration.ofSeconds(5)).until(() -> newest.equals(SharedAction.decode(grid.get(key))));
        assertThat(state(a, TierId.BACKUP)).as("every adapter keeps the newer drain").isEqualTo(TierState.DRAINED);
        b.dataSource.resume("backup", "carol");
        await().atMost(Duration.ofSeconds(5)).until(() -> state(a, TierId.BACKUP) == TierState.UP);
    }

    @Test
    @Order(6)
    @DisplayName("a preference given through one adapter becomes the other's")
    void preferenceReachesTheOther() {
        a.dataSource.prefer("backup", "erin");
        await().atMost(Duration.ofSeconds(5)).until(() -> b.dataSource.status().preferred() == TierId.BACKUP);
        a.dataSource.resume("backup", "erin");
        await().atMost(Duration.ofSeconds(5)).until(() -> b.dataSource.status().preferred() == null);
    }

    private TestPool instance(HazelcastInstance member, String primaryUrl, String backupUrl) throws Exception {
        PgTierResourceAdapter adapter = new PgTierResourceAdapter();
        adapter.useGrid(listener -> Grids.hazelcast(member, listener));
        TestPool pool = TestPool.start(adapter, TestPool.factory(POOL, "READ_WRITE", primaryUrl, backupUrl, null));
        pools.add(pool);
        return pool;
    }

    private HazelcastInstance member() {
        Config config = new Config().setClusterName("pgtier-fleet-test-" + ProcessHandle.current().pid());
        config.setProperty("hazelcast.logging.type", "jdk");
        config.setProperty("hazelcast.phone.home.enabled", "false");
        config.getNetworkConfig().setPort(gridPorts.get(members.size())).setPortAutoIncrement(false);
        config.getNetworkConfig().getInterfaces().setEnabled(true).addInterface("127.0.0.1");
        config.getNetworkConfig().getJoin().getMulticastConfig().setEnabled(false);
        gridPorts.forEach(port -> config.getNetworkConfig().getJoin().getTcpIpConfig().setEnabled(true).addMember("127.0.0.1:" + port));
        config.getNetworkConfig().getJoin().getAutoDetectionConfig().setEnabled(false);
        HazelcastInstance member = Hazelcast.newHazelcastInstance(config);
        members.add(member);
        return member;
    }

    /** The grid's name of the n-th member: its address, outside Payara. */
    private String name(int n) {
        return members.get(n).getCluster().getLocalMember().getAddress().toString();
    }

    private static TierState state(TestPool pool, TierId tier) {
        return pool.dataSource.status().tiers().stream().filter(t -> t.id() == tier).findFirst().orElseThrow().state();
    }

    private static PgTierEvent last(TestPool pool, String id) {
        List<PgTierEvent> events = pool.dataSource.status().events().stream().filter(e -> e.id().equals(id)).toList();
        assertThat(events).as("%s events", id).isNotEmpty();
        return events.get(events.size() - 1);
    }
}
