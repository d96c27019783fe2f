package io.pgtier.grid;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Which of two operator actions wins, on every instance alike, and how an action travels as text. */
class SharedActionTest {

    private static SharedAction action(long version, long at, String instance) {
        return new SharedAction(version, at, instance, "ops", "pgtier-rw", "drained");
    }

    @Test
    @DisplayName("an action taken after seeing another wins over it, whatever the clocks say")
    void higherVersionWins() {
        SharedAction seen = action(3, 10_000, "inst1");
        SharedAction after = SharedAction.after(seen, 5_000, "inst2", "ops", "pgtier-rw", "resumed");
        assertThat(after.version()).isEqualTo(4);
        assertThat(after.isNewerThan(seen)).isTrue();
        assertThat(seen.isNewerThan(after)).isFalse();
    }

    @Test
    @DisplayName("two sides of a split that acted as often: the later action wins, then the instance name; never both")
    void tiesAreBrokenByTimeThenInstance() {
        SharedAction early = action(2, 1_000, "inst9");
        SharedAction late = action(2, 2_000, "inst1");
        assertThat(late.isNewerThan(early)).isTrue();
        assertThat(early.isNewerThan(late)).isFalse();

        SharedAction a = action(2, 1_000, "inst1");
        SharedAction b = action(2, 1_000, "inst2");
        assertThat(b.isNewerThan(a)).isTrue();
        assertThat(a.isNewerThan(b)).isFalse();
        assertThat(SharedAction.newer(a, b)).isSameAs(b);
        assertThat(SharedAction.newer(null, a)).isSameAs(a);
        assertThat(a.isNewerThan(null)).isTrue();
    }

    @Test
    @DisplayName("the text form keeps every field, separators and a missing actor included; other text reads as nothing")
    void roundTrip() {
        SharedAction odd = new SharedAction(7, 123, "inst & co=1", null, "pool/with&amp", "backup");
        assertThat(SharedAction.decode(odd.encode())).isEqualTo(odd);
        assertThat(SharedAction.decode("not an action")).isNull();
        assertThat(SharedAction.decode(null)).isNull();
    }
}
