package io.pgtier.spi;

/**
 * Whether SQL a bean sends may change its session beyond its transaction, so that the session is
 * reset before the next bean (see {@link SessionReset#SQL}). One pass over the text, no allocation:
 * it runs on every statement a bean prepares or executes.
 *
 * <p>It errs towards yes, which costs one round trip at return: a statement that starts with
 * {@code SET}, {@code RESET}, {@code LISTEN}, {@code DECLARE} (a cursor {@code WITH HOLD}
 * outlives the transaction), {@code PREPARE}, {@code LOAD} or {@code DO}, at the start of the text
 * or after a {@code ;}; or text anywhere that names {@code set_config}, a session-level advisory
 * lock ({@code pg_advisory_lock*}, {@code pg_try_advisory_lock*}; the {@code _xact_} ones end with
 * the transaction) or a word starting {@code temp} (temporary tables). What a server-side function
 * does inside is not visible here; the README says so.
 */
final class SessionSql {

    private static final String[] STATEMENTS = {"set", "reset", "listen", "declare", "prepare", "load", "do"};
    private static final String[] ANYWHERE = {"set_config", "pg_advisory_lock", "pg_try_advisory_lock", "temp"};

    private SessionSql() {
    }

    static boolean changesSession(String sql) {
        if (sql == null) {
            return false;
        }
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
                for (String keyword : STATEMENTS) {
                    if (keywordAt(sql, i, keyword)) {
                        return true;
                    }
                }
            }
            if (c == ';') {
                statementStart = true;
            } else if (c == 's' || c == 'S' || c == 'p' || c == 'P' || c == 't' || c == 'T') {
                for (String word : ANYWHERE) {
                    if (sql.regionMatches(true, i, word, 0, word.length())) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    private static boolean keywordAt(String sql, int i, String keyword) {
        int end = i + keyword.length();
        return sql.regionMatches(true, i, keyword, 0, keyword.length())
                && (end == sql.length() || !Character.isLetterOrDigit(sql.charAt(end)) && sql.charAt(end) != '_');
    }
}
