package io.pgtier.tier;

import static io.pgtier.api.TierState.DOWN;
import static io.pgtier.api.TierState.PROBATION;
import static io.pgtier.api.TierState.SUSPECT;
import static io.pgtier.api.TierState.UP;
import static org.assertj.core.api.Assertions.assertThat;

import io.pgtier.tier.Fixtures.ManualClock;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The tier health state machine on a hand-driven clock: every transition, and what it reports. */
class TierHealthTest {

    private final ManualClock clock = new ManualClock();
    private final TierHealth health = new TierHealth(clock::nanoTime);

    @Test
    @DisplayName("UP → SUSPECT on a failed connect → DOWN on failed probes → PROBATION on a good probe → UP when its time is over")
    void fullCycle() {
        health.failbackAfter(Duration.ofSeconds(30));
        assertThat(health.state()).isEqualTo(UP);

        assertThat(health.markSuspect()).isTrue();
        assertThat(health.markSuspect()).as("no change the second time").isFalse();
        assertThat(health.state()).isEqualTo(SUSPECT);

        assertThat(health.markDown()).isTrue();
        assertThat(health.markDown()).isFalse();
        assertThat(health.markSuspect()).as("a down tier does not become merely suspect").isFalse();
        assertThat(health.state()).isEqualTo(DOWN);

        assertThat(health.markUp()).isTrue();
        assertThat(health.state()).isEqualTo(PROBATION);
        assertThat(health.markUp()).as("a second good probe changes nothing").isFalse();
        clock.advance(Duration.ofSeconds(10));
        assertThat(health.probationRemainingNanos()).isEqualTo(Duration.ofSeconds(20).toNanos());
        assertThat(health.finishProbation()).as("not before its time").isFalse();

        clock.advance(Duration.ofSeconds(20));
        assertThat(health.state()).as("reported UP once the time is over, before any probe").isEqualTo(UP);
        assertThat(health.finishProbation()).as("the failback moment, once").isTrue();
        assertThat(health.finishProbation()).isFalse();
        assertThat(health.state()).isEqualTo(UP);
    }

    @Test
    @DisplayName("without a failback time a recovered tier is UP at once; a healthy tier's good probe changes nothing")
    void noProbationWithoutFailbackTime() {
        assertThat(health.markUp()).as("healthy all along").isFalse();
        health.markDown();
        assertThat(health.markUp()).isTrue();
        assertThat(health.state()).isEqualTo(UP);
    }

    @Test
    @DisplayName("a failed connect during probation makes it suspect; the next good probe starts a new probation")
    void failureDuringProbation() {
        health.failbackAfter(Duration.ofSeconds(5));
        health.markDown();
        health.markUp();
        clock.advance(Duration.ofSeconds(4));

        assertThat(health.markSuspect()).isTrue();
        assertThat(health.markUp()).isTrue();
        assertThat(health.probationRemainingNanos()).as("a full new probation").isEqualTo(Duration.ofSeconds(5).toNanos());
    }

    @Test
    @DisplayName("the longest failback time any pool asked for wins")
    void longestFailbackWins() {
        health.failbackAfter(Duration.ofSeconds(30));
        health.failbackAfter(Duration.ofSeconds(3));
        health.markDown();
        health.markUp();
        assertThat(health.probationRemainingNanos()).isEqualTo(Duration.ofSeconds(30).toNanos());
    }
}
