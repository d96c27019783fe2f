package io.pgtier.client;

import jakarta.annotation.Resource;
import jakarta.ejb.Stateless;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;

/**
 * The smallest use of pgtier: inject the READ_WRITE resource and ask the server who it is.
 * A raw connection closed in {@code try}-with-resources, as any JDBC code does.
 */
@Stateless
public class ServerInfoBean {

    @Resource(lookup = "jca/pgtier")
    private DataSource dataSource;

    /** The server's version and whether it is a standby, e.g. {@code "17.6 primary"}. */
    public String describe() throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT current_setting('server_version'),"
                     + " CASE WHEN pg_is_in_recovery() THEN 'standby' ELSE 'primary' END")) {
            rs.next();
            return rs.getString(1) + " " + rs.getString(2);
        }
    }
}
