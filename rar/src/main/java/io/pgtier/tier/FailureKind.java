package io.pgtier.tier;

/**
 * What a failed connection attempt says about its tier. Only {@link #SERVER} counts against the
 * tier's health and breaker: a full server is alive, and a wrong password or a missing database is
 * this pool's configuration, which another pool with its own credentials does not share.
 */
public enum FailureKind {
    /** The server or the route failed: refused, reset, timed out, shutting down, I/O error. */
    SERVER,
    /** The server answered but has no room now (class 53, e.g. 53300 too many connections). */
    CAPACITY,
    /** The server refused this pool's sign-on or configuration (28xxx, 3D000, 42501): retrying repeats it. */
    CONFIG
}
