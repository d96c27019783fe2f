package io.pgtier.api;

/**
 * What a PostgreSQL server can do right now, as last observed ({@code pg_is_in_recovery()}).
 * A role is a fact about the server behind a tier, not about the tier: a standby becomes
 * {@code WRITABLE} when the cluster's HA manager promotes it, and pgtier only follows.
 * {@code UNKNOWN} means nobody has looked yet (or the last look failed); it never blocks an attempt,
 * because every new connection is checked before it is handed out.
 */
public enum Role {
    WRITABLE,
    STANDBY,
    UNKNOWN
}
