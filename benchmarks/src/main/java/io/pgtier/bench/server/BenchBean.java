package io.pgtier.bench.server;

import jakarta.ejb.Stateless;
import java.sql.SQLException;
import javax.sql.DataSource;

/**
 * The same operation as a direct call, through a stateless bean with the default REQUIRED
 * transaction: the container begins and commits a transaction around every call, and the
 * connection is enlisted in it (one extra COMMIT round trip when a statement ran).
 */
@Stateless
public class BenchBean {

    public void once(DataSource dataSource, boolean select) throws SQLException {
        Operation.once(dataSource, select);
    }
}
