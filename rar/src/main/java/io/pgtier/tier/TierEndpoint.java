package io.pgtier.tier;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Where a tier's connections go and how many it may have. Immutable; changing an endpoint means
 * restarting the adapter, so nothing can see half of an update.
 *
 * <p>The password is held here because the connector needs it, and nowhere else shows it:
 * {@link #toString()} leaves it out, and {@link #safeUrl()} masks a {@code password} or
 * {@code sslpassword} parameter written into the URL. Anything meant for a message, a log line,
 * a health response or a metric tag uses {@code safeUrl()} (or just the tier's label).
 *
 * @param url            a pgjdbc URL ({@code jdbc:postgresql://...}); it may name several hosts
 * @param user           the database user; may be {@code null} when the URL or container supplies it
 * @param password       may be {@code null}
 * @param maxConnections cap on this tier's physical connections, shared by every pool of the adapter
 * @param tls            how its sessions and probes use TLS; {@link Tls#AS_URL} leaves it to the URL
 */
public record TierEndpoint(String url, String user, String password, int maxConnections, Tls tls) {

    /**
     * TLS for a tier, as pgjdbc's {@code sslmode}, {@code sslrootcert}, {@code sslcert} and
     * {@code sslkey} take it; a {@code null} field leaves pgjdbc's own (the URL's) value. Paths,
     * never a secret: an encrypted client key's password is not supported.
     */
    public record Tls(String mode, String rootCert, String cert, String key) {

        public static final Tls AS_URL = new Tls(null, null, null, null);
    }

    public TierEndpoint(String url, String user, String password, int maxConnections) {
        this(url, user, password, maxConnections, Tls.AS_URL);
    }

    private static final Pattern PASSWORD_PARAM =
            Pattern.compile("(?i)([?&](?:ssl)?password=)[^&]*");

    public TierEndpoint {
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(tls, "tls");
        if (maxConnections < 1) {
            throw new IllegalArgumentException(
                    Messages.badSetting("maxConnections", maxConnections, ">= 1"));
        }
    }

    /** The same endpoint signing on with another password (one of another pool that shares the tier). */
    public TierEndpoint withPassword(String otherPassword) {
        return new TierEndpoint(url, user, otherPassword, maxConnections, tls);
    }

    /** The URL with any password parameter's value replaced by {@code ***}. */
    public String safeUrl() {
        return PASSWORD_PARAM.matcher(url).replaceAll("$1***");
    }

    @Override
    public String toString() {
        return "TierEndpoint[url=" + safeUrl() + ", user=" + user
                + ", maxConnections=" + maxConnections + ", tls=" + tls + "]";
    }
}
