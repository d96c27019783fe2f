package io.pgtier.tier;

import io.pgtier.api.Purpose;
import io.pgtier.api.Role;
import io.pgtier.api.TierId;
import java.sql.SQLException;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Every text the tier package puts in an exception, in one place so wording stays consistent
 * and reviewable. None of them takes an endpoint or a password: a tier is named by its label.
 */
final class Messages {

    private Messages() {
    }

    static String noTierAvailable(String pool, Purpose purpose, long elapsedMillis,
            List<TierAttempt> attempts) {
        String reasons = attempts.isEmpty()
                ? "no tier configured"
                : attempts.stream().map(TierAttempt::toString).collect(Collectors.joining("; "));
        return "pgtier[" + pool + "] no tier could serve " + purpose + " within " + elapsedMillis
                + " ms (" + reasons + ")";
    }

    /** "08001 Connection refused", first line only: driver messages can run to several lines. */
    static String sqlFailure(SQLException e) {
        String text = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        int newline = text.indexOf('\n');
        if (newline >= 0) {
            text = text.substring(0, newline).strip();
        }
        return e.getSQLState() == null ? text : e.getSQLState() + " " + text;
    }

    static String breakerOpen(long retryInMillis) {
        return "breaker OPEN, retry in " + retryInMillis + " ms";
    }

    /** "breaker OPEN, retry in 4200 ms (last failure: 08001 Connection refused)" */
    static String refused(String refusal, String lastFailure) {
        return lastFailure == null ? refusal : refusal + " (last failure: " + lastFailure + ")";
    }

    static String breakerTrialsTaken(int taken, int permitted) {
        return "breaker HALF_OPEN, " + taken + "/" + permitted + " trial calls taken";
    }

    static String capFull(int open, int max) {
        return "cap " + open + "/" + max + " full";
    }

    static String throttled(int perSecond) {
        return "connection attempts limited to " + perSecond + "/s";
    }

    static String wrongRole(Role role, Purpose purpose) {
        return role == Role.STANDBY
                ? "server is a standby (read-only)"
                : "server role " + role + " cannot serve " + purpose;
    }

    static String drained() {
        return "drained by operator";
    }

    static String markedDown() {
        return "down (health checks failing; re-probed within a second, and one caller tries it when no tier serves)";
    }

    static String badSetting(String name, Object value, String allowed) {
        return name + "=" + value + " is not allowed (allowed: " + allowed + ")";
    }

    static String duplicateTier(TierId id) {
        return "tier " + id.label() + " configured twice";
    }

    static String primaryMissing() {
        return "the primary tier must be configured (backup and failover are optional)";
    }

    static String notConfigured(TierId id) {
        return "tier " + id.label() + " is not configured";
    }
}
