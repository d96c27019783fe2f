package io.pgtier.tier;

import io.pgtier.api.Role;
import java.sql.SQLException;

/**
 * How {@link TierWalk} opens, inspects and throws away a physical connection, so the walk stays
 * plain Java, independent of pgjdbc and of the connector SPI, and testable without a server.
 *
 * @param <C> the physical connection type (a pgjdbc connection, an XA connection, a test fake)
 */
public interface Connector<C> {

    /** Opens a physical connection to {@code tier}; must honour the tier's login and socket timeouts. */
    C connect(Tier tier) throws SQLException;

    /** Asks the server on the other end what it is now ({@code pg_is_in_recovery()}). */
    Role roleOf(C connection) throws SQLException;

    /** Closes a connection the walk will not hand out; must not throw. */
    void discard(C connection);

    /** What a failed attempt says about the tier; only {@link FailureKind#SERVER} counts against it. */
    default FailureKind classify(SQLException failure) {
        return FailureKind.SERVER;
    }
}
