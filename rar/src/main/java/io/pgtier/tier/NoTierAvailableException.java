package io.pgtier.tier;

import io.pgtier.api.Purpose;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * No configured tier could give a physical connection. The message names the pool, the purpose,
 * the time spent and every configured tier with its reason, in walk order:
 * <pre>
 * pgtier[orders] no tier could serve READ_WRITE within 5012 ms (primary: 08001 Connection refused;
 * backup: breaker OPEN, retry in 4200 ms; failover: 53300 too many connections)
 * </pre>
 * The SQLSTATE is that of the first real connection failure in walk order, so callers that
 * classify errors by SQLSTATE see what the server or driver said; when no tier was even tried it
 * is {@code 08001} ("unable to establish connection"). That failure is the cause, the others are
 * suppressed.
 */
public final class NoTierAvailableException extends SQLException {

    private static final long serialVersionUID = 1L;
    private static final String NOT_CONNECTED = "08001";

    private final List<TierAttempt> attempts;

    public NoTierAvailableException(String poolName, Purpose purpose, long elapsedMillis,
            List<TierAttempt> attempts) {
        this(poolName, purpose, elapsedMillis, inWalkOrder(attempts));
    }

    private NoTierAvailableException(String poolName, Purpose purpose, long elapsedMillis,
            ArrayList<TierAttempt> sorted) {
        super(Messages.noTierAvailable(poolName, purpose, elapsedMillis, sorted),
                sorted.stream()
                        .filter(a -> a.cause() != null && a.cause().getSQLState() != null)
                        .map(a -> a.cause().getSQLState())
                        .findFirst().orElse(NOT_CONNECTED));
        this.attempts = List.copyOf(sorted);
        for (TierAttempt attempt : sorted) {
            if (attempt.cause() == null) {
                continue;
            }
            if (getCause() == null) {
                initCause(attempt.cause());
            } else {
                addSuppressed(attempt.cause());
            }
        }
    }

    /** Each configured tier's outcome, in walk order (primary, backup, failover). */
    public List<TierAttempt> attempts() {
        return attempts;
    }

    private static ArrayList<TierAttempt> inWalkOrder(List<TierAttempt> attempts) {
        ArrayList<TierAttempt> sorted = new ArrayList<>(attempts);
        sorted.sort(Comparator.comparing(TierAttempt::tier));
        return sorted;
    }
}
