package io.pgtier.tier;

import java.time.Duration;

/**
 * The settings of one tier's {@link Breaker}, named as in Resilience4j so operators who know it can
 * read them. The defaults are sized for connection creation, which is rare (a pool creates a handful
 * of connections a minute at most): Resilience4j's window of 100 calls would never fill.
 *
 * <p>Friendly validation (property name, value given, what is allowed) is the adapter's job when
 * the pool is created; the compact constructor only refuses values the breaker cannot work with.
 *
 * @param failureRateThreshold     percent of failed calls in the window (1..100) that opens the breaker
 * @param slidingWindowSize        how many of the latest calls the rate is computed over
 * @param minimumNumberOfCalls     calls needed before the rate is judged at all (capped at the window)
 * @param waitInOpenState          how long an open breaker refuses before it lets trials through
 * @param permittedCallsInHalfOpen trial calls in half-open; that many successes close the breaker
 */
public record BreakerConfig(
        int failureRateThreshold,
        int slidingWindowSize,
        int minimumNumberOfCalls,
        Duration waitInOpenState,
        int permittedCallsInHalfOpen) {

    public BreakerConfig {
        require(failureRateThreshold >= 1 && failureRateThreshold <= 100,
                "failureRateThreshold", failureRateThreshold, "1..100");
        require(slidingWindowSize >= 1, "slidingWindowSize", slidingWindowSize, ">= 1");
        require(minimumNumberOfCalls >= 1, "minimumNumberOfCalls", minimumNumberOfCalls, ">= 1");
        require(waitInOpenState != null && !waitInOpenState.isNegative(),
                "waitInOpenState", waitInOpenState, ">= 0 s");
        require(permittedCallsInHalfOpen >= 1,
                "permittedCallsInHalfOpen", permittedCallsInHalfOpen, ">= 1");
    }

    /** 50 %, a window of 10 calls judged from 4, 10 s open, 2 trial calls. */
    public static BreakerConfig defaults() {
        return new BreakerConfig(50, 10, 4, Duration.ofSeconds(10), 2);
    }

    private static void require(boolean ok, String field, Object value, String allowed) {
        if (!ok) {
            throw new IllegalArgumentException(Messages.badSetting(field, value, allowed));
        }
    }
}
