package io.pgtier.spi;

/**
 * What SQL a bean sends may do to its session beyond its transaction, so that the session is reset
 * before the next bean ({@link SessionReset}), and whether it ends a transaction, which inside the
 * container's transaction only the container may do. One pass over the text, no allocation: it
 * runs on every statement a bean prepares or executes.
 *
 * <ul>
 *   <li>{@link #SETTINGS}: a statement starting {@code SET} or {@code RESET} (not {@code SET LOCAL}
 *       or {@code SET TRANSACTION}, which end with the transaction): {@code RESET ALL} undoes it
 *       and keeps pgjdbc's prepared statements;</li>
 *   <li>{@link #DISCARD}: what {@code RESET ALL} does not undo — {@code SET [SESSION] ROLE},
 *       {@code SET [SESSION] SESSION AUTHORIZATION} and {@code set_config} anywhere (it can set
 *       either), {@code LISTEN}, {@code DECLARE} (a cursor {@code WITH HOLD} outlives the
 *       transaction), {@code PREPARE}, {@code LOAD}, {@code DO}, the words {@code TEMP},
 *       {@code TEMPORARY} or {@code pg_temp} (temporary tables), a session-level advisory lock
 *       ({@code pg_advisory_lock*}, {@code pg_try_advisory_lock*}; the {@code _xact_} ones end with
 *       the transaction): {@code DISCARD ALL};</li>
 *   <li>{@link #ENDS_TRANSACTION}: {@code COMMIT}, {@code END}, {@code ROLLBACK} (not
 *       {@code ROLLBACK [WORK|TRANSACTION] TO} a savepoint), {@code ABORT},
 *       {@code PREPARE TRANSACTION}.</li>
 * </ul>
 * A {@code BEGIN} needs no bit: the return rolls back whatever transaction the server holds open.
 * A statement counts at the start of the text or after a {@code ;}. Comments ({@code --},
 * nested {@code /* *}{@code /}) and quoted text — strings, {@code E''} strings, quoted names,
 * dollar-quoted bodies — are skipped wherever they are, and a {@code BEGIN ATOMIC … END} function
 * body is one statement, so a function's own {@code END} or {@code COMMIT} is not taken for
 * transaction control. It errs towards a reset, which costs one round trip at return; what a
 * server-side function does inside is not visible here, and the README says so.
 */
final class SessionSql {

    static final int SETTINGS = 1;
    static final int DISCARD = 1 << 1;
    static final int ENDS_TRANSACTION = 1 << 2;

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
        int atomicDepth = 0;
        int i = 0;
        while (i < n) {
            char c = sql.charAt(i);
            int skipped = skipBlankOrComment(sql, i);
            if (skipped > i) {
                i = skipped;
                continue;
            }
            if (c == ';') {
                statementStart |= atomicDepth == 0;
                i++;
                continue;
            }
            if (c == '\'' || c == '"' || c == '$' && (i == 0 || !isWordChar(sql.charAt(i - 1)))) {
                i = skipQuoted(sql, i) + 1;
                statementStart = false;
                continue;
            }
            if (!isWordStart(c)) {
                statementStart = false;
                i++;
                continue;
            }
            int end = wordEnd(sql, i);
            if (statementStart && atomicDepth == 0) {
                effects |= statement(sql, i);
            }
            statementStart = false;
            if (atomicDepth > 0) {
                if (word(sql, i, end, "case")) {
                    atomicDepth++;
                } else if (word(sql, i, end, "end")) {
                    atomicDepth--;
                }
            } else if (word(sql, i, end, "begin") && keywordAt(sql, nextWord(sql, end), "atomic")) {
                atomicDepth = 1;
                end = nextWord(sql, end) + 6;
            }
            effects |= anywhere(sql, i, end);
            i = end;
        }
        return effects;
    }

    /** The effect of a word wherever it is. */
    private static int anywhere(String sql, int start, int end) {
        char c = Character.toLowerCase(sql.charAt(start));
        if (c == 's' && word(sql, start, end, "set_config")) {
            return DISCARD;
        }
        if (c == 'p' && (sql.regionMatches(true, start, "pg_advisory_lock", 0, 16)
                || sql.regionMatches(true, start, "pg_try_advisory_lock", 0, 20) || word(sql, start, end, "pg_temp"))) {
            return DISCARD;
        }
        if (c == 't' && (word(sql, start, end, "temp") || word(sql, start, end, "temporary"))) {
            return DISCARD;
        }
        return 0;
    }

    /** The effect of the statement that starts at {@code i}. */
    private static int statement(String sql, int i) {
        if (keywordAt(sql, i, "set")) {
            int next = nextWord(sql, i + 3);
            if (keywordAt(sql, next, "local") || keywordAt(sql, next, "transaction")) {
                return 0;
            }
            if (keywordAt(sql, next, "session")) {
                next = nextWord(sql, next + 7);
                if (keywordAt(sql, next, "characteristics")) {
                    return SETTINGS;
                }
            }
            return keywordAt(sql, next, "role") || keywordAt(sql, next, "session")
                    || keywordAt(sql, next, "authorization") ? DISCARD : SETTINGS;
        }
        if (keywordAt(sql, i, "reset")) {
            return SETTINGS;
        }
        if (keywordAt(sql, i, "prepare")) {
            return keywordAt(sql, nextWord(sql, i + 7), "transaction") ? ENDS_TRANSACTION : DISCARD;
        }
        if (keywordAt(sql, i, "rollback")) {
            int next = nextWord(sql, i + 8);
            if (keywordAt(sql, next, "work")) {
                next = nextWord(sql, next + 4);
            } else if (keywordAt(sql, next, "transaction")) {
                next = nextWord(sql, next + 11);
            }
            return keywordAt(sql, next, "to") ? 0 : ENDS_TRANSACTION;
        }
        if (keywordAt(sql, i, "commit") || keywordAt(sql, i, "end") || keywordAt(sql, i, "abort")) {
            return ENDS_TRANSACTION;
        }
        if (keywordAt(sql, i, "listen") || keywordAt(sql, i, "declare") || keywordAt(sql, i, "load")
                || keywordAt(sql, i, "do")) {
            return DISCARD;
        }
        return 0;
    }

    /** Past blanks and comments from {@code i}; {@code i} itself when there is none there. */
    private static int skipBlankOrComment(String sql, int i) {
        int n = sql.length();
        int at = i;
        while (at < n) {
            char c = sql.charAt(at);
            if (Character.isWhitespace(c)) {
                at++;
            } else if (c == '-' && at + 1 < n && sql.charAt(at + 1) == '-') {
                at += 2;
                while (at < n && sql.charAt(at) != '\n' && sql.charAt(at) != '\r') {
                    at++;
                }
            } else if (c == '/' && at + 1 < n && sql.charAt(at + 1) == '*') {
                int depth = 1;
                at += 2;
                while (at < n && depth > 0) {
                    if (sql.startsWith("/*", at)) {
                        depth++;
                        at += 2;
                    } else if (sql.startsWith("*/", at)) {
                        depth--;
                        at += 2;
                    } else {
                        at++;
                    }
                }
            } else {
                break;
            }
        }
        return at;
    }

    /** The index of the last character of the quoted text that starts at {@code i} (or {@code i} for a lone {@code $}). */
    private static int skipQuoted(String sql, int i) {
        int n = sql.length();
        char c = sql.charAt(i);
        if (c == '$') {
            int tagEnd = i + 1;
            while (tagEnd < n && sql.charAt(tagEnd) != '$') {
                char d = sql.charAt(tagEnd);
                if (!(Character.isLetter(d) || d == '_' || tagEnd > i + 1 && Character.isDigit(d))) {
                    return i; // $1, or a $ that opens no quote
                }
                tagEnd++;
            }
            if (tagEnd >= n) {
                return i;
            }
            int tagLength = tagEnd - i + 1;
            for (int j = tagEnd + 1; j + tagLength <= n; j++) {
                if (sql.charAt(j) == '$' && sql.regionMatches(j, sql, i, tagLength)) {
                    return j + tagLength - 1;
                }
            }
            return n - 1;
        }
        boolean backslashes = c == '\'' && i > 0 && (sql.charAt(i - 1) == 'E' || sql.charAt(i - 1) == 'e')
                && (i == 1 || !isWordChar(sql.charAt(i - 2)));
        for (int j = i + 1; j < n; j++) {
            char d = sql.charAt(j);
            if (backslashes && d == '\\') {
                j++;
            } else if (d == c) {
                if (j + 1 < n && sql.charAt(j + 1) == c) {
                    j++;
                } else {
                    return j;
                }
            }
        }
        return n - 1;
    }

    private static int nextWord(String sql, int from) {
        return skipBlankOrComment(sql, from);
    }

    private static int wordEnd(String sql, int i) {
        int end = i;
        while (end < sql.length() && isWordChar(sql.charAt(end))) {
            end++;
        }
        return end;
    }

    private static boolean word(String sql, int start, int end, String word) {
        return end - start == word.length() && sql.regionMatches(true, start, word, 0, word.length());
    }

    private static boolean keywordAt(String sql, int i, String keyword) {
        int end = i + keyword.length();
        return sql.regionMatches(true, i, keyword, 0, keyword.length())
                && (end == sql.length() || !isWordChar(sql.charAt(end)));
    }

    private static boolean isWordStart(char c) {
        return Character.isLetter(c) || c == '_';
    }

    private static boolean isWordChar(char c) {
        return Character.isLetterOrDigit(c) || c == '_' || c == '$';
    }
}
