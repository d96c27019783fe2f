package io.pgtier.spi;

/**
 * What SQL a bean sends may do to its session beyond its transaction, so that the session is reset
 * before the next bean ({@link SessionReset}), and whether it ends a transaction, which inside the
 * container's transaction only the container may do. One pass over the text, no allocation: it
 * runs on every statement a bean prepares or executes.
 *
 * <ul>
 *   <li>{@link #SETTINGS}: a statement starting {@code SET} or {@code RESET} (not {@code SET LOCAL}
 *       or {@code SET TRANSACTION}, which end with the transaction), or {@code set_config} anywhere:
 *       {@code RESET ALL} undoes it and keeps pgjdbc's prepared statements;</li>
 *   <li>{@link #DISCARD}: {@code SET ROLE}, {@code SET SESSION AUTHORIZATION}, {@code LISTEN},
 *       {@code DECLARE} (a cursor {@code WITH HOLD} outlives the transaction), {@code PREPARE},
 *       {@code LOAD}, {@code DO}; the word {@code TEMP} or {@code TEMPORARY} (temporary tables);
 *       a session-level advisory lock ({@code pg_advisory_lock*}, {@code pg_try_advisory_lock*};
 *       the {@code _xact_} ones end with the transaction): {@code DISCARD ALL};</li>
 *   <li>{@link #ENDS_TRANSACTION}: {@code COMMIT}, {@code END}, {@code ROLLBACK} (not
 *       {@code ROLLBACK TO} a savepoint), {@code ABORT}, {@code PREPARE TRANSACTION};</li>
 *   <li>{@link #OPENS_TRANSACTION}: {@code BEGIN}, {@code START TRANSACTION}.</li>
 * </ul>
 * A statement counts at the start of the text or after a {@code ;}, past blanks and comments;
 * quoted text — strings, quoted names, dollar-quoted function bodies — is skipped, so a
 * function's own {@code BEGIN … END} is not taken for transaction control. It errs towards a
 * reset, which costs one round trip at return; what a server-side function does inside is not
 * visible here, and the README says so.
 */
final class SessionSql {

    static final int SETTINGS = 1;
    static final int DISCARD = 1 << 1;
    static final int ENDS_TRANSACTION = 1 << 2;
    /** {@code BEGIN} or {@code START TRANSACTION}: with autocommit on, a transaction the return must roll back. */
    static final int OPENS_TRANSACTION = 1 << 3;

    private static final String[] DISCARD_STATEMENTS = {"listen", "declare", "load", "do"};
    private static final String[] TRANSACTION_STATEMENTS = {"commit", "end", "abort"};

    private SessionSql() {
    }

    /** The bits above that {@code sql} sets; 0 for plain queries and DML. */
    static int effects(String sql) {
        if (sql == null) {
            return 0;
        }
        int effects = 0;
        int n = sql.length();
        boolean statementStart = true;
        for (int i = 0; i < n; i++) {
            char c = sql.charAt(i);
            if (statementStart) {
                if (Character.isWhitespace(c) || c == '(') {
                    continue;
                }
                if (c == '-' && i + 1 < n && sql.charAt(i + 1) == '-') {
                    int end = sql.indexOf('\n', i);
                    i = end < 0 ? n : end;
                    continue;
                }
                if (c == '/' && i + 1 < n && sql.charAt(i + 1) == '*') {
                    int end = sql.indexOf("*/", i + 2);
                    i = end < 0 ? n : end + 1;
                    continue;
                }
                statementStart = false;
                effects |= statement(sql, i);
            }
            if (c == '\'' || c == '"' || c == '$' && (i == 0 || !isWordChar(sql.charAt(i - 1)))) {
                i = skipQuoted(sql, i);
            } else if (c == ';') {
                statementStart = true;
            } else if ((c == 's' || c == 'S') && sql.regionMatches(true, i, "set_config", 0, 10)) {
                effects |= SETTINGS;
            } else if ((c == 'p' || c == 'P') && (sql.regionMatches(true, i, "pg_advisory_lock", 0, 16)
                    || sql.regionMatches(true, i, "pg_try_advisory_lock", 0, 20))) {
                effects |= DISCARD;
            } else if ((c == 't' || c == 'T') && wordStart(sql, i)
                    && (keywordAt(sql, i, "temp") || keywordAt(sql, i, "temporary"))) {
                effects |= DISCARD;
            }
        }
        return effects;
    }

    /** The effect of the statement that starts at {@code i}. */
    private static int statement(String sql, int i) {
        if (keywordAt(sql, i, "set")) {
            int next = nextWord(sql, i + 3);
            if (keywordAt(sql, next, "local") || keywordAt(sql, next, "transaction")) {
                return 0;
            }
            return keywordAt(sql, next, "role") || keywordAt(sql, next, "session")
                    && keywordAt(sql, nextWord(sql, next + 7), "authorization") ? DISCARD : SETTINGS;
        }
        if (keywordAt(sql, i, "reset")) {
            return SETTINGS;
        }
        if (keywordAt(sql, i, "begin") || keywordAt(sql, i, "start")) {
            return OPENS_TRANSACTION;
        }
        if (keywordAt(sql, i, "prepare")) {
            return keywordAt(sql, nextWord(sql, i + 7), "transaction") ? ENDS_TRANSACTION : DISCARD;
        }
        if (keywordAt(sql, i, "rollback")) {
            int next = nextWord(sql, i + 8);
            return keywordAt(sql, next, "to") ? 0 : ENDS_TRANSACTION;
        }
        for (String keyword : TRANSACTION_STATEMENTS) {
            if (keywordAt(sql, i, keyword)) {
                return ENDS_TRANSACTION;
            }
        }
        for (String keyword : DISCARD_STATEMENTS) {
            if (keywordAt(sql, i, keyword)) {
                return DISCARD;
            }
        }
        return 0;
    }

    /** The index of the last character of the quoted text that starts at {@code i} (or {@code i} for a lone {@code $}). */
    private static int skipQuoted(String sql, int i) {
        char c = sql.charAt(i);
        if (c == '$') {
            int tagEnd = sql.indexOf('$', i + 1);
            if (tagEnd < 0 || !dollarTag(sql, i + 1, tagEnd)) {
                return i;
            }
            String tag = sql.substring(i, tagEnd + 1);
            int close = sql.indexOf(tag, tagEnd + 1);
            return close < 0 ? sql.length() : close + tag.length() - 1;
        }
        boolean backslashes = c == '\'' && i > 0 && (sql.charAt(i - 1) == 'E' || sql.charAt(i - 1) == 'e');
        for (int j = i + 1; j < sql.length(); j++) {
            char d = sql.charAt(j);
            if (backslashes && d == '\\') {
                j++;
            } else if (d == c) {
                if (j + 1 < sql.length() && sql.charAt(j + 1) == c) {
                    j++;
                } else {
                    return j;
                }
            }
        }
        return sql.length();
    }

    /** {@code $$} or {@code $tag$}: a tag is a name, and {@code $1} is a parameter, not a quote. */
    private static boolean dollarTag(String sql, int from, int to) {
        for (int j = from; j < to; j++) {
            char d = sql.charAt(j);
            if (!(Character.isLetter(d) || d == '_' || j > from && Character.isDigit(d))) {
                return false;
            }
        }
        return true;
    }

    private static int nextWord(String sql, int from) {
        int i = from;
        while (i < sql.length() && Character.isWhitespace(sql.charAt(i))) {
            i++;
        }
        return i;
    }

    private static boolean wordStart(String sql, int i) {
        return i == 0 || !isWordChar(sql.charAt(i - 1));
    }

    private static boolean keywordAt(String sql, int i, String keyword) {
        int end = i + keyword.length();
        return sql.regionMatches(true, i, keyword, 0, keyword.length())
                && (end == sql.length() || !isWordChar(sql.charAt(end)));
    }

    private static boolean isWordChar(char c) {
        return Character.isLetterOrDigit(c) || c == '_' || c == '$';
    }
}
