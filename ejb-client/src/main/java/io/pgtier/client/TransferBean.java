package io.pgtier.client;

import io.pgtier.api.TieredConnection;
import jakarta.annotation.Resource;
import jakarta.ejb.Stateless;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import javax.sql.DataSource;

/**
 * A bank transfer in one container-managed transaction: debit, credit, and a row in
 * {@code transfers} under the caller's unique id — what the resilience tests run under load while
 * they break tiers. The two accounts are locked in id order, so concurrent transfers never
 * deadlock each other.
 *
 * <p>Schema: {@code accounts(id int primary key, balance bigint)} and
 * {@code transfers(id text primary key, from_id int, to_id int, amount bigint)}.
 */
@Stateless
public class TransferBean {

    @Resource(lookup = "jca/pgtier")
    private DataSource dataSource;

    /** Moves {@code amount} and records it; returns the server and tier that did it ("5432 primary via backup"). */
    public String transfer(String id, int from, int to, long amount) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            int first = Math.min(from, to);
            int second = Math.max(from, to);
            move(c, first, first == from ? -amount : amount);
            move(c, second, second == from ? -amount : amount);
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO transfers(id, from_id, to_id, amount) VALUES (?, ?, ?, ?)")) {
                ps.setString(1, id);
                ps.setInt(2, from);
                ps.setInt(3, to);
                ps.setLong(4, amount);
                ps.executeUpdate();
            }
            return NotesSql.server(c) + " via " + c.unwrap(TieredConnection.class).tier().label();
        }
    }

    private static void move(Connection c, int account, long delta) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE accounts SET balance = balance + ? WHERE id = ?")) {
            ps.setLong(1, delta);
            ps.setInt(2, account);
            if (ps.executeUpdate() != 1) {
                throw new SQLException("no account " + account, "02000");
            }
        }
    }
}
