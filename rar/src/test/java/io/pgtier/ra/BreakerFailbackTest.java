package io.pgtier.ra;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtier.api.BreakerState;
import io.pgtier.api.TierId;
import io.pgtier.tier.BreakerConfig;
import io.pgtier.tier.Tier;
import io.pgtier.tier.TierEndpoint;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * While a tier's breaker is half-open only its trial calls reach it and the rest of the new
 * connections go to lower tiers; when it closes, those are retired as they return.
 */
class BreakerFailbackTest {

    /** No wait in OPEN, two trials: the tests drive the breaker without sleeping. */
    private static final BreakerConfig QUICK = new BreakerConfig(50, 10, 4, Duration.ZERO, 2);

    private final PgTierResourceAdapter adapter = new PgTierResourceAdapter();
    private final Tier primary = tier(TierId.PRIMARY, 1);
    private final Tier backup = tier(TierId.BACKUP, 2);

    @Test
    @DisplayName("a primary's breaker closing after its trials retires the backup's connections")
    void closingRetiresLowerTiers() {
        long before = backup.generation();

        passTrials();

        assertThat(primary.breaker().state()).isEqualTo(BreakerState.CLOSED);
        assertThat(backup.isRetired(before)).as("connections the backup opened meanwhile").isTrue();
        assertThat(primary.generation()).as("the primary's own are kept").isZero();
    }

    @Test
    @DisplayName("not while the primary is on failback probation: the monitor decides when to fail back")
    void notDuringProbation() {
        primary.failbackAfter(Duration.ofMinutes(1));
        primary.markDown();
        primary.markUp();
        long before = backup.generation();

        passTrials();

        assertThat(primary.breaker().state()).isEqualTo(BreakerState.CLOSED);
        assertThat(backup.isRetired(before)).isFalse();
    }

    private void passTrials() {
        primary.breaker().forceOpen();
        for (int trial = 0; trial < QUICK.permittedCallsInHalfOpen(); trial++) {
            assertThat(primary.breaker().tryAcquirePermission()).isTrue();
        }
        for (int trial = 0; trial < QUICK.permittedCallsInHalfOpen(); trial++) {
            primary.breaker().onSuccess();
        }
    }

    private Tier tier(TierId id, int port) {
        return adapter.tiers().tier(id, new TierEndpoint("jdbc:postgresql://127.0.0.1:" + port + "/postgres", "app", "pw", 5), QUICK);
    }
}
