package io.pgtier.bench.server;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;

/** What every variant measures: acquire and release a connection, optionally running {@code SELECT 1} between. */
public final class Operation {

    private Operation() {
    }

    public static void once(DataSource dataSource, boolean select) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            if (select) {
                selectOne(c);
            }
        }
    }

    public static void selectOne(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT 1")) {
            rs.next();
        }
    }
}
