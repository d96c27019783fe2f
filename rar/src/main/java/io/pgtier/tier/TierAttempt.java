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
 * @param cause   the driver's exception for an attempt that was tried; {@code null} otherwise
 */
public record TierAttempt(TierId tier, Outcome outcome, String reason, SQLException cause)
        implements Serializable {

    public enum Outcome {
        /** Not tried: marked down, or its known role cannot serve the purpose. */
        EXCLUDED,
        /** Not tried: drained by the operator; waiting does not bring it back. */
        DRAINED,
        /** Not tried: the breaker refused. */
        BREAKER_REFUSED,
        /** Not tried: every slot of the tier's cap was taken. */
        CAP_FULL,
        /** Not tried: the tier's connection attempt budget is spent for now. */
        THROTTLED,
        /** Tried: connecting (or asking the role) failed at the server or on the way there. */
        FAILED,
        /** Tried: the server answered but has no room (class 53); not held against the tier. */
        FULL,
        /** Tried: the server refused this pool's sign-on or configuration; not held against the tier. */
        REJECTED,
        /** Tried: connected, but the server's role cannot serve the purpose. */
        WRONG_ROLE
    }

    static TierAttempt failed(TierId tier, SQLException cause, FailureKind kind) {
        Outcome outcome = switch (kind) {
            case SERVER -> Outcome.FAILED;
            case CAPACITY -> Outcome.FULL;
            case CONFIG -> Outcome.REJECTED;
        };
        return new TierAttempt(tier, outcome, Messages.sqlFailure(cause), cause);
    }

    /** Whether the tier said something that may pass if asked again soon (not a configuration refusal). */
    public boolean mayPass() {
        return outcome != Outcome.REJECTED && outcome != Outcome.DRAINED;
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
