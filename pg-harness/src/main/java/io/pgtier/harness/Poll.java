package io.pgtier.harness;

import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Waits for a server-side condition that no event announces (a catalog row, a reloaded setting) by
 * asking again every 100 ms, far below the waits it bounds. The harness is main code with no test
 * libraries, hence this rather than Awaitility.
 */
final class Poll {

    private Poll() {
    }

    /**
     * Asks {@code check} until it answers empty (the condition holds) or {@code timeout} passes; a
     * non-empty answer says what was seen instead, for the error.
     */
    static void until(String what, Duration timeout, Supplier<Optional<String>> check) {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "not asked yet";
        while (System.nanoTime() < deadline) {
            Optional<String> seen = check.get();
            if (seen.isEmpty()) {
                return;
            }
            last = seen.get();
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for " + what, e);
            }
        }
        throw new IllegalStateException(what + " did not happen within " + timeout + " (last: " + last + ")");
    }
}
