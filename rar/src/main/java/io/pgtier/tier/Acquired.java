package io.pgtier.tier;

import java.util.Objects;

/**
 * A physical connection the walk opened, with the tier whose cap slot it holds and the tier
 * generation it belongs to. The holder must call {@code tier.release()} once when it destroys the
 * connection, and retires it on return once {@code tier.isRetired(generation)}.
 *
 * @param connection the open physical connection
 * @param tier       the tier it came from
 * @param generation the tier's generation read before connecting, so a retirement that happens
 *                   while the connection is being opened still covers it
 */
public record Acquired<C>(C connection, Tier tier, long generation) {

    public Acquired {
        Objects.requireNonNull(connection, "connection");
        Objects.requireNonNull(tier, "tier");
    }
}
