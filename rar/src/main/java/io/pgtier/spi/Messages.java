package io.pgtier.spi;

/**
 * Every text the connector layer puts in an exception or a log line, with a stable id so users can
 * search for it. None takes a password or a URL with parameters.
 */
final class Messages {

    private Messages() {
    }

    static String handleClosed() {
        return "PGT-201 this pgtier connection is closed; get a new one from the DataSource";
    }

    static String cannotUnwrap(Class<?> type) {
        return "PGT-202 a pgtier connection unwraps to java.sql.Connection or org.postgresql.PGConnection, not "
                + type.getName();
    }

    static String foreignHandle(Object handle) {
        return "PGT-203 cannot associate " + (handle == null ? "null" : handle.getClass().getName())
                + ": only pgtier connection handles of the same pool can be moved here";
    }

    static String nestedLocalTransaction(String pool) {
        return "PGT-204 pgtier[" + pool + "] a local transaction is already active on this connection;"
                + " PostgreSQL has no nested transactions (use savepoints)";
    }

    static String applicationTransactionOpen(String pool) {
        return "PGT-205 pgtier[" + pool + "] cannot begin a local transaction: the application turned"
                + " autocommit off and has a transaction of its own open";
    }

    static String noLocalTransaction(String pool, String action) {
        return "PGT-206 pgtier[" + pool + "] cannot " + action + ": no local transaction is active";
    }

    static String transactionFailed(String pool, String tier, String action, java.sql.SQLException e) {
        return "PGT-207 pgtier[" + pool + "] " + action + " failed on tier " + tier + ": "
                + e.getSQLState() + " " + firstLine(e.getMessage());
    }

    static String retired(String pool, String tier, String why) {
        return "PGT-208 pgtier[" + pool + "] connection on tier " + tier + " retired: " + why;
    }

    static String notManaged() {
        return "PGT-209 pgtier needs a Jakarta EE container's connection manager; deploy the RAR and create"
                + " a connector connection pool";
    }

    static String invalidProperty(String pool, String property, Object value, String allowed) {
        return "PGT-210 pgtier[" + pool + "] invalid " + property + " = " + quote(value) + ": " + allowed;
    }

    static String notAdapterOf(Object adapter) {
        return "PGT-211 the resource adapter must be pgtier's, got "
                + (adapter == null ? "null" : adapter.getClass().getName());
    }

    static String allocationFailed(String pool, String reason) {
        return "PGT-212 pgtier[" + pool + "] could not get a connection: " + reason;
    }

    static String leakClosed(String pool, String tier, String site) {
        return "PGT-213 pgtier[" + pool + "] a connection (tier " + tier + ") acquired at " + site
                + " inside a container transaction was not closed; closed at transaction end";
    }

    static String abortedByBean(String pool) {
        return "PGT-214 pgtier[" + pool + "] connection aborted by the application";
    }

    static String rejected(String pool, String tier, String reason) {
        return "PGT-215 pgtier[" + pool + "] tier " + tier + " refused this pool's sign-on or configuration (" + reason
                + "): check the pool's user, password and URL (database, options); not held against the tier";
    }

    static String keptOnDownTier(String pool, String tier) {
        return "PGT-216 pgtier[" + pool + "] tier " + tier + " is down but no other tier can serve: its working sessions"
                + " are kept and validated before reuse";
    }

    static String containerOwnsTransaction(String pool, String action) {
        return "PGT-217 pgtier[" + pool + "] " + action + " refused: the container's transaction owns this connection"
                + " and ends it (savepoints are allowed; mark the transaction rollback-only to undo it)";
    }

    static String statementOfOtherSession(String pool, String tier) {
        return "PGT-218 pgtier[" + pool + "] this statement belongs to a session (tier " + tier + ") the connection no longer holds:"
                + " the container moved the connection to another session; create the statement again";
    }

    static String uncommittedWorkMoved(String pool, String tier) {
        return "PGT-219 pgtier[" + pool + "] cannot move this connection to another session: its session on tier "
                + tier + " holds uncommitted work; commit or roll it back first";
    }

    static String commitOutcomeUnknown(String pool, String tier, String action, java.sql.SQLException e) {
        return "PGT-220 pgtier[" + pool + "] " + action + " on tier " + tier + " lost the connection: the outcome is"
                + " unknown (the server may have committed); check before retrying (" + e.getSQLState() + " "
                + firstLine(e.getMessage()) + ")";
    }

    static String noTransactionRegistry(String pool) {
        return "PGT-221 pgtier[" + pool + "] cannot take part in a transaction: the container gave the adapter no"
                + " TransactionSynchronizationRegistry, so a fatal error could not mark it rollback-only";
    }

    static String rollbackOnlyFailed(String pool, String tier) {
        return "PGT-222 pgtier[" + pool + "] could not mark the transaction rollback-only after a fatal error on tier "
                + tier + ": the connection is ended and this pool refuses further work in that transaction";
    }

    static String transactionDoomed(String pool) {
        return "PGT-223 pgtier[" + pool + "] refused: this transaction lost a connection to a fatal error and could not"
                + " be marked rollback-only; it must end";
    }

    static String abandonedLocalTransaction(String pool, String tier) {
        return "PGT-224 pgtier[" + pool + "] a local transaction on tier " + tier + " was still open when the container"
                + " returned the connection: rolled back";
    }

    static String endedWhileExecuting(String pool, String tier) {
        return "PGT-225 pgtier[" + pool + "] the connection was returned, or its transaction ended, while a statement still ran on tier " + tier
                + ": the session is ended, not returned to the pool";
    }

    static String driverApiRefused(String pool, String method) {
        return "PGT-227 pgtier[" + pool + "] " + method + "() is refused on a pooled connection: it would run work on"
                + " the pool's session that the adapter cannot see or reset";
    }

    static String unknownTier(String pool, String tier, java.util.List<String> tiers) {
        return "PGT-226 pgtier[" + pool + "] has no tier " + quote(tier) + ": its tiers are " + String.join(", ", tiers);
    }

    static String lastTier(String pool, String tier) {
        return "PGT-228 pgtier[" + pool + "] drain of tier " + tier + " refused: some pool of the adapter has no other"
                + " tier that can serve it now; bring another tier up first";
    }

    static String cannotPrefer(String pool, String tier, String why) {
        return "PGT-229 pgtier[" + pool + "] cannot prefer tier " + tier + ": " + why;
    }

    static String poolSucceeded(String pool) {
        return "PGT-230 pgtier[" + pool + "] the pool was re-created with changed settings: new connections, also those"
                + " asked of the old pool's factory, use the new settings; sessions in use finish their work first";
    }

    static String detached(String pool, String tier) {
        return "PGT-231 pgtier[" + pool + "] the container ended a connection on tier " + tier + " while its local transaction"
                + " was under way (the pool is being re-created): the session finishes that transaction, then closes";
    }

    static String duplicatePoolName(String pool) {
        return "PGT-232 pgtier[" + pool + "] two pools of this adapter are named " + pool + " with different purposes:"
                + " give each pool its own poolName (JMX names, metrics tags and the status key on it)";
    }

    static String firstLine(String text) {
        if (text == null) {
            return "";
        }
        int newline = text.indexOf('\n');
        return newline < 0 ? text : text.substring(0, newline).strip();
    }

    private static String quote(Object value) {
        return value instanceof String ? "'" + value + "'" : String.valueOf(value);
    }
}
