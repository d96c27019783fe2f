package io.pgtier.tier;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Which password the monitor probes with, as pools offer them and the server takes or refuses them (a manual clock). */
class SignOnsTest {

    private final SignOns signOns = new SignOns();

    @Test
    @DisplayName("before any worked: the newest offered; after a refusal: the next newest; what worked wins")
    void order() {
        signOns.offer("good");
        signOns.offer("wrong");
        assertThat(signOns.forProbe(0).password()).isEqualTo("wrong");

        signOns.refused("wrong");
        assertThat(signOns.forProbe(0).password()).isEqualTo("good");

        signOns.worked("good");
        signOns.offer("newer");
        assertThat(signOns.forProbe(0).password()).as("what worked, until it is refused").isEqualTo("good");
        signOns.refused("good");
        assertThat(signOns.forProbe(0).password()).isEqualTo("newer");
    }

    @Test
    @DisplayName("every password refused: the newest is tried once a minute, not every round; offered again: at once")
    void allRefused() {
        signOns.offer("a");
        signOns.offer("b");
        signOns.refused("a");
        signOns.refused("b");

        assertThat(signOns.forProbe(0).password()).as("the first retry").isEqualTo("b");
        assertThat(signOns.forProbe(1_000_000_000L)).as("a second later").isNull();
        assertThat(signOns.forProbe(SignOns.RETRY_REFUSED_NANOS + 1).password()).as("a minute later").isEqualTo("b");

        signOns.offer("a");
        assertThat(signOns.forProbe(SignOns.RETRY_REFUSED_NANOS + 2).password()).as("offered again").isEqualTo("a");
    }

    @Test
    @DisplayName("no password (trust, certificates) is a candidate like any other")
    void nullPassword() {
        signOns.offer(null);
        assertThat(signOns.forProbe(0)).isNotNull();
        assertThat(signOns.forProbe(0).password()).isNull();
    }
}
