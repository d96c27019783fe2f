package io.pgtier.api;

/**
 * Which tier a pgtier connection is on, for logging or tests:
 * {@code connection.unwrap(TieredConnection.class).tier()}.
 */
public interface TieredConnection {

    /** The tier whose server this connection's session is on. */
    TierId tier();
}
