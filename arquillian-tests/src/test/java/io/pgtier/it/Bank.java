package io.pgtier.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtier.harness.PgServer;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The bank the resilience tests run transfers against, and the invariants every scenario must keep:
 * money is neither made nor lost on any server; every transfer the caller saw commit is recorded
 * exactly once; none the caller saw roll back is recorded; one whose commit outcome the caller
 * could not know (the connection died during commit) is recorded at most once.
 */
final class Bank {

    static final int ACCOUNTS = 50;
    static final long OPENING_BALANCE = 1_000;

    private Bank() {
    }

    /** Creates the tables and opens the accounts on a writable server. */
    static void open(PgServer server) {
        server.execute("CREATE TABLE accounts(id int PRIMARY KEY, balance bigint NOT NULL)");
        server.execute("CREATE TABLE transfers(id text PRIMARY KEY, from_id int NOT NULL, to_id int NOT NULL,"
                + " amount bigint NOT NULL, at timestamptz NOT NULL DEFAULT now())");
        server.execute("INSERT INTO accounts SELECT g, " + OPENING_BALANCE + " FROM generate_series(1, " + ACCOUNTS + ") g");
        server.execute("CREATE TABLE IF NOT EXISTS notes(id bigserial PRIMARY KEY, text text NOT NULL,"
                + " created_at timestamptz NOT NULL DEFAULT now())");
    }

    /** Checks the invariants against the servers that hold the authoritative data. */
    static void assertConsistent(TransferLoad load, List<PgServer> servers) throws SQLException {
        assertConsistent(List.of(load), servers);
    }

    /** The same, over the calls of several loads run one after the other against the same servers. */
    static void assertConsistent(List<TransferLoad> loads, List<PgServer> servers) throws SQLException {
        Map<String, Integer> recorded = new HashMap<>();
        for (PgServer server : servers) {
            assertThat(sum(server)).as("total balance on %s", server.name()).isEqualTo(ACCOUNTS * OPENING_BALANCE);
            for (String id : ids(server)) {
                recorded.merge(id, 1, Integer::sum);
            }
        }
        for (TransferLoad.Call call : loads.stream().flatMap(l -> l.calls().stream()).toList()) {
            int times = recorded.getOrDefault(call.id(), 0);
            switch (call.outcome()) {
                case COMMITTED -> assertThat(times).as("committed transfer %s recorded exactly once", call).isEqualTo(1);
                case ROLLED_BACK -> assertThat(times).as("rolled-back transfer %s not recorded", call).isZero();
                case UNKNOWN -> assertThat(times).as("in-doubt transfer %s recorded at most once", call).isLessThanOrEqualTo(1);
            }
        }
    }

    static long sum(PgServer server) throws SQLException {
        try (Connection c = server.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT sum(balance) FROM accounts")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    static List<String> ids(PgServer server) throws SQLException {
        try (Connection c = server.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT id FROM transfers")) {
            List<String> ids = new java.util.ArrayList<>();
            while (rs.next()) {
                ids.add(rs.getString(1));
            }
            return ids;
        }
    }
}
