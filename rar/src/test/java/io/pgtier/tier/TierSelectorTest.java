package io.pgtier.tier;

import static io.pgtier.api.TierId.BACKUP;
import static io.pgtier.api.TierId.FAILOVER;
import static io.pgtier.api.TierId.PRIMARY;
import static org.assertj.core.api.Assertions.assertThat;

import io.pgtier.api.Purpose;
import io.pgtier.api.Role;
import io.pgtier.api.TierId;
import io.pgtier.tier.Fixtures.ManualClock;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class TierSelectorTest {

    private final ManualClock clock = new ManualClock();
    private final Tier primary = Fixtures.tier(PRIMARY, 10, clock);
    private final Tier backup = Fixtures.tier(BACKUP, 5, clock);
    private final Tier failover = Fixtures.tier(FAILOVER, 5, clock);
    // Given out of order on purpose: the selector owns the walk order.
    private final TierSelector selector = new TierSelector(List.of(failover, primary, backup));

    private static List<TierId> ids(List<Tier> tiers) {
        return tiers.stream().map(Tier::id).toList();
    }

    @Test
    void readWriteWalksPrimaryBackupFailover() {
        assertThat(ids(selector.candidates(Purpose.READ_WRITE))).containsExactly(PRIMARY, BACKUP, FAILOVER);
    }

    @Test
    @DisplayName("READ_WRITE never connects to a known standby (the probe sees a promotion), skips drained tiers, and offers a down writable tier only as a trial")
    void readWriteSkipsStandbysAndUnavailable() {
        primary.recordRole(Role.STANDBY);
        backup.drain();
        failover.recordRole(Role.WRITABLE);

        TierSelector.Selection selection = selector.select(Purpose.READ_WRITE);

        assertThat(ids(selection.candidates())).containsExactly(FAILOVER);
        assertThat(selection.excluded())
                .containsEntry(BACKUP, "drained by operator")
                .containsEntry(PRIMARY, "server is a standby (read-only)")
                .hasSize(2);
        assertThat(selection.trials()).as("a standby is no trial for writes").isEmpty();
        failover.markDown();
        TierSelector.Selection down = selector.select(Purpose.READ_WRITE);
        assertThat(down.excluded())
                .containsEntry(FAILOVER, "down (health checks failing; re-probed within a second, and one caller tries it when no tier serves)");
        assertThat(ids(down.candidates())).isEmpty();
        assertThat(ids(down.trials())).containsExactly(FAILOVER);
    }

    @Test
    @DisplayName("READ_ONLY alternates between two equally loaded standbys, primary last")
    void readOnlySpreadsAcrossIdleStandbys() {
        primary.recordRole(Role.WRITABLE);
        backup.recordRole(Role.STANDBY);
        failover.recordRole(Role.STANDBY);

        List<TierId> firstChoices = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            List<Tier> order = selector.candidates(Purpose.READ_ONLY);
            assertThat(ids(order)).as("call %d", i).containsExactlyInAnyOrder(PRIMARY, BACKUP, FAILOVER);
            assertThat(order.get(2).id()).as("the primary serves reads last").isEqualTo(PRIMARY);
            firstChoices.add(order.get(0).id());
        }

        assertThat(firstChoices).containsExactly(BACKUP, FAILOVER, BACKUP, FAILOVER);
    }

    @Test
    @DisplayName("READ_ONLY tries the standby with the fewest open connections first, every time")
    void readOnlyPrefersLeastLoadedStandby() {
        primary.recordRole(Role.WRITABLE);
        backup.recordRole(Role.STANDBY);
        failover.recordRole(Role.STANDBY);
        backup.tryReserve();
        backup.tryReserve();
        failover.tryReserve();

        for (int i = 0; i < 3; i++) {
            assertThat(ids(selector.candidates(Purpose.READ_ONLY))).as("call %d", i)
                    .containsExactly(FAILOVER, BACKUP, PRIMARY);
        }
    }

    @Test
    @DisplayName("READ_ONLY with no known standby tries tiers of unknown role (maybe standbys) before the writable one")
    void readOnlyWithoutStandbysPrefersUnknownRoles() {
        primary.recordRole(Role.WRITABLE);
        backup.recordRole(Role.STANDBY);
        backup.tryReserve();

        assertThat(ids(selector.candidates(Purpose.READ_ONLY))).as("the unknown failover is less loaded than the standby")
                .containsExactly(FAILOVER, BACKUP, PRIMARY);
    }

    @Test
    @DisplayName("unconfigured tiers are simply absent")
    void onlyConfiguredTiers() {
        TierSelector primaryOnly = new TierSelector(List.of(primary));

        TierSelector.Selection selection = primaryOnly.select(Purpose.READ_ONLY);

        assertThat(ids(selection.candidates())).containsExactly(PRIMARY);
        assertThat(selection.excluded()).isEmpty();
    }
}
