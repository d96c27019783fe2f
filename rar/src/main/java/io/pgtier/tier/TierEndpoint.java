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
 */
public record TierEndpoint(String url, String user, String password, int maxConnections) {

    private static final Pattern PASSWORD_PARAM =
            Pattern.compile("(?i)([?&](?:ssl)?password=)[^&]*");

    public TierEndpoint {
        Objects.requireNonNull(url, "url");
        if (maxConnections < 1) {
            throw new IllegalArgumentException(
                    Messages.badSetting("maxConnections", maxConnections, ">= 1"));
        }
    }

    /** The URL with any password parameter's value replaced by {@code ***}. */
    public String safeUrl() {
        return PASSWORD_PARAM.matcher(url).replaceAll("$1***");
    }

    @Override
    public String toString() {
        return "TierEndpoint[url=" + safeUrl() + ", user=" + user
                + ", maxConnections=" + maxConnections + "]";
    }
}
