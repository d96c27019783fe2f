package io.pgtier.tier;

import static io.pgtier.api.BreakerState.CLOSED;
import static io.pgtier.api.BreakerState.HALF_OPEN;
import static io.pgtier.api.BreakerState.OPEN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgtier.api.TierId;
import io.pgtier.tier.Fixtures.ManualClock;
import io.pgtier.tier.Fixtures.RecordingListener;
import io.pgtier.tier.Fixtures.Transition;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class BreakerTest {

    private final ManualClock clock = new ManualClock();
    private final RecordingListener listener = new RecordingListener();

    private Breaker breaker(BreakerConfig config) {
        return new Breaker(TierId.PRIMARY, config, clock::nanoTime, listener);
    }

    private Breaker openedDefaultBreaker() {
        Breaker b = breaker(Fixtures.CONFIG);
        b.forceOpen();
        return b;
    }

    @Test
    @DisplayName("failures open the breaker only once minimumNumberOfCalls are recorded")
    void opensOnlyAfterMinimumNumberOfCalls() {
        Breaker b = breaker(Fixtures.CONFIG);

        for (int i = 1; i <= 3; i++) {
            b.onFailure();
            assertThat(b.state()).as("after %d failures of 4 required calls", i).isEqualTo(CLOSED);
        }
        b.onFailure();

        assertThat(b.state()).isEqualTo(OPEN);
        assertThat(listener.seen).containsExactly(new Transition(TierId.PRIMARY, CLOSED, OPEN));
    }

    @Test
    @DisplayName("the breaker opens when the failure rate reaches the threshold, not before")
    void opensAtThresholdExactly() {
        Breaker b = breaker(Fixtures.CONFIG);
        b.onSuccess();
        b.onSuccess();
        b.onSuccess();
        b.onFailure(); // 1/4 = 25 %
        b.onFailure(); // 2/5 = 40 %
        assertThat(b.state()).isEqualTo(CLOSED);

        b.onFailure(); // 3/6 = 50 %

        assertThat(b.state()).isEqualTo(OPEN);
    }

    @Test
    @DisplayName("a success that completes the minimum can open the breaker (F F F S = 75 %)")
    void rateIsJudgedAfterSuccessesToo() {
        Breaker b = breaker(Fixtures.CONFIG);
        b.onFailure();
        b.onFailure();
        b.onFailure();

        b.onSuccess();

        assertThat(b.state()).isEqualTo(OPEN);
    }

    @Test
    @DisplayName("the window counts only the latest slidingWindowSize calls")
    void oldOutcomesSlideOut() {
        Breaker b = breaker(new BreakerConfig(75, 4, 4, Duration.ofSeconds(10), 2));
        b.onFailure();
        b.onFailure();
        for (int i = 0; i < 4; i++) {
            b.onSuccess(); // pushes both failures out
        }
        b.onFailure();
        b.onFailure(); // last four: S S F F = 50 %
        assertThat(b.state()).isEqualTo(CLOSED);

        b.onFailure(); // last four: S F F F = 75 %; counted from the start it would be 5/9

        assertThat(b.state()).isEqualTo(OPEN);
    }

    @Test
    @DisplayName("OPEN refuses until waitInOpenState has elapsed, then lets a trial through as HALF_OPEN")
    void openRefusesUntilWaitElapsed() {
        Breaker b = openedDefaultBreaker();

        assertThat(b.tryAcquirePermission()).isFalse();
        assertThat(b.retryInMillis()).isEqualTo(10_000);
        clock.advance(Duration.ofMillis(6_800));
        assertThat(b.tryAcquirePermission()).isFalse();
        assertThat(b.refusal()).isEqualTo("breaker OPEN, retry in 3200 ms");
        clock.advance(Duration.ofMillis(3_199).plusNanos(999_999));
        assertThat(b.tryAcquirePermission()).as("1 ns before the wait is over").isFalse();
        assertThat(b.retryInMillis()).as("rounded up, never 0 while refusing").isEqualTo(1);

        clock.advance(Duration.ofNanos(1));

        assertThat(b.tryAcquirePermission()).isTrue();
        assertThat(b.state()).isEqualTo(HALF_OPEN);
        assertThat(b.retryInMillis()).isZero();
    }

    @Test
    @DisplayName("an OPEN breaker whose wait is over reads as HALF_OPEN without any attempt (what health checks see)")
    void readsHalfOpenOnceWaitIsOver() {
        Breaker b = openedDefaultBreaker();
        clock.advance(Duration.ofSeconds(9));
        assertThat(b.state()).isEqualTo(OPEN);

        clock.advance(Duration.ofSeconds(1));

        assertThat(b.state()).isEqualTo(HALF_OPEN);
        assertThat(b.tryAcquirePermission()).as("the trial is still available").isTrue();
    }

    @Test
    @DisplayName("HALF_OPEN permits permittedCallsInHalfOpen trials and closes after that many successes")
    void halfOpenClosesOnSuccesses() {
        Breaker b = openedDefaultBreaker();
        clock.advance(Duration.ofSeconds(10));

        assertThat(b.tryAcquirePermission()).isTrue();
        assertThat(b.tryAcquirePermission()).isTrue();
        assertThat(b.tryAcquirePermission()).as("third trial while two are in flight").isFalse();
        assertThat(b.refusal()).isEqualTo("breaker HALF_OPEN, 2/2 trial calls taken");
        b.onSuccess();
        assertThat(b.state()).isEqualTo(HALF_OPEN);
        assertThat(b.tryAcquirePermission()).as("a success still uses up its trial").isFalse();
        b.onSuccess();

        assertThat(b.state()).isEqualTo(CLOSED);
        b.onFailure();
        b.onFailure();
        b.onFailure();
        assertThat(b.state()).as("the window restarted empty on closing").isEqualTo(CLOSED);
        assertThat(listener.seen).extracting(Transition::to).containsExactly(OPEN, HALF_OPEN, CLOSED);
    }

    @Test
    @DisplayName("a failed trial re-opens the breaker and restarts the wait")
    void halfOpenFailureReopens() {
        Breaker b = openedDefaultBreaker();
        clock.advance(Duration.ofSeconds(10));
        assertThat(b.tryAcquirePermission()).isTrue();

        b.onFailure();

        assertThat(b.state()).isEqualTo(OPEN);
        assertThat(b.retryInMillis()).isEqualTo(10_000);
        assertThat(b.tryAcquirePermission()).isFalse();
        assertThat(listener.seen).extracting(Transition::to).containsExactly(OPEN, HALF_OPEN, OPEN);
    }

    @Test
    @DisplayName("a released half-open permit can be taken again")
    void releasedPermitIsReusable() {
        Breaker b = openedDefaultBreaker();
        clock.advance(Duration.ofSeconds(10));
        assertThat(b.tryAcquirePermission()).isTrue();
        assertThat(b.tryAcquirePermission()).isTrue();

        b.releasePermission();

        assertThat(b.tryAcquirePermission()).isTrue();
        assertThat(b.tryAcquirePermission()).isFalse();
    }

    @Test
    @DisplayName("forceOpen works from CLOSED and HALF_OPEN, forceClosed from OPEN; each is one transition")
    void forcedTransitions() {
        Breaker b = breaker(Fixtures.CONFIG);

        b.forceOpen();
        clock.advance(Duration.ofSeconds(4));
        b.forceOpen(); // still down: restarts the wait, no new transition
        assertThat(b.retryInMillis()).isEqualTo(10_000);
        b.forceClosed();
        b.forceClosed();
        b.forceOpen();
        clock.advance(Duration.ofSeconds(10));
        b.tryAcquirePermission();
        b.forceOpen();

        assertThat(listener.seen).extracting(t -> t.from() + "->" + t.to()).containsExactly(
                "CLOSED->OPEN", "OPEN->CLOSED", "CLOSED->OPEN", "OPEN->HALF_OPEN", "HALF_OPEN->OPEN");
        assertThat(listener.seen).allMatch(t -> t.tier() == TierId.PRIMARY);
    }

    @Test
    @DisplayName("results that arrive while OPEN do not move the breaker")
    void resultsWhileOpenAreIgnored() {
        Breaker b = openedDefaultBreaker();

        b.onSuccess();
        b.onSuccess();
        b.onFailure();

        assertThat(b.state()).isEqualTo(OPEN);
        assertThat(listener.seen).hasSize(1);
    }

    @Test
    void configRejectsNonsenseNamingTheField() {
        assertThatThrownBy(() -> new BreakerConfig(0, 10, 4, Duration.ofSeconds(10), 2))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("failureRateThreshold=0");
        assertThatThrownBy(() -> new BreakerConfig(50, 10, 4, Duration.ofSeconds(-1), 2))
                .hasMessageContaining("waitInOpenState");
        assertThat(BreakerConfig.defaults()).isEqualTo(
                new BreakerConfig(50, 10, 4, Duration.ofSeconds(10), 2));
    }
}
