package io.pgtier.pg;

import org.postgresql.Driver;

/**
 * Checks a pgjdbc URL before any connection is tried, so a typo fails when the pool is created
 * with a reason a person can act on, not later as a timeout. pgjdbc's own parser only answers
 * "invalid"; the port range and the host list are checked here to say which part is wrong.
 */
public final class JdbcUrls {

    private static final String PREFIX = "jdbc:postgresql:";
    private static final String EXPECTED = "expected jdbc:postgresql://host[:port][,host2[:port2]...]/database";

    private JdbcUrls() {
    }

    /** What is wrong with {@code url}, or {@code null} when it is a usable pgjdbc URL. */
    public static String problem(String url) {
        if (!url.startsWith(PREFIX)) {
            return "not a PostgreSQL JDBC URL; " + EXPECTED;
        }
        String rest = url.substring(PREFIX.length());
        if (!rest.startsWith("//")) {
            return "names no host; " + EXPECTED;
        }
        int end = indexOfAny(rest, 2, '/', '?');
        String hostList = rest.substring(2, end < 0 ? rest.length() : end);
        if (hostList.isEmpty()) {
            return "names no host; " + EXPECTED;
        }
        for (String spec : hostList.split(",")) {
            String host = spec;
            String port = null;
            int colon = spec.lastIndexOf(':');
            if (colon >= 0 && spec.indexOf(']') < colon) {
                host = spec.substring(0, colon);
                port = spec.substring(colon + 1);
            }
            if (port != null) {
                String portProblem = portProblem(port);
                if (portProblem != null) {
                    return portProblem;
                }
            }
            if (host.isEmpty()) {
                return "names an empty host; " + EXPECTED;
            }
        }
        if (Driver.parseURL(url, null) == null) {
            return "is not a URL pgjdbc accepts; " + EXPECTED;
        }
        // Host names are not resolved here: DNS that fails while the pool is created may answer a second
        // later, and a name that does not resolve is reported, per tier, when connecting.
        return null;
    }

    private static String portProblem(String port) {
        try {
            int n = Integer.parseInt(port);
            if (n < 1 || n > 65535) {
                return "port " + n + " is out of range (1-65535)";
            }
            return null;
        } catch (NumberFormatException e) {
            return "port '" + port + "' is not a number (1-65535)";
        }
    }

    private static int indexOfAny(String s, int from, char a, char b) {
        for (int i = from; i < s.length(); i++) {
            if (s.charAt(i) == a || s.charAt(i) == b) {
                return i;
            }
        }
        return -1;
    }
}
