package io.pgtier.tier;

import io.pgtier.api.TierId;
import java.io.Serializable;
import java.sql.SQLException;

/**
 * Why one tier did not give a connection during one walk. Kept as data, not only as text, so
 * tests and metrics can tell a refused tier from a failed one.
 *
 * @param tier    which tier
 * @param outcome what happened
 * @param reason  the text that appears after the tier's label in the error message
 * @param cause   the driver's exception for {@link Outcome#FAILED}; {@code null} otherwise
 */
public record TierAttempt(TierId tier, Outcome outcome, String reason, SQLException cause)
        implements Serializable {

    public enum Outcome {
        /** Not tried: drained, marked down, or its known role cannot serve the purpose. */
        EXCLUDED,
        /** Not tried: the breaker refused. */
        BREAKER_REFUSED,
        /** Not tried: every slot of the tier's cap was taken. */
        CAP_FULL,
        /** Tried: connecting (or asking the role) failed. */
        FAILED,
        /** Tried: connected, but the server's role cannot serve the purpose. */
        WRONG_ROLE
    }

    static TierAttempt failed(TierId tier, SQLException cause) {
        return new TierAttempt(tier, Outcome.FAILED, Messages.sqlFailure(cause), cause);
    }

    static TierAttempt skipped(TierId tier, Outcome outcome, String reason) {
        return new TierAttempt(tier, outcome, reason, null);
    }

    /** "primary: 08001 Connection refused" */
    @Override
    public String toString() {
        return tier.label() + ": " + reason;
    }
}
