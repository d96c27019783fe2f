package io.pgtier.spi;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Reader;
import java.io.Writer;
import java.sql.SQLException;
import org.postgresql.copy.CopyDual;
import org.postgresql.copy.CopyIn;
import org.postgresql.copy.CopyManager;
import org.postgresql.copy.CopyOut;
import org.postgresql.core.BaseConnection;
import org.postgresql.util.ByteStreamWriter;

/**
 * pgjdbc's {@code CopyManager} for a bean, through {@code unwrap(PGConnection.class).getCopyAPI()}:
 * its SQL is checked like a statement's before it reaches the session (the server runs the text it
 * is given, {@code COMMIT} included, before the driver sees it is no {@code COPY}), it refuses once
 * the handle is closed or moved, and a copy that streams is watched by the stall check. A
 * subclass, because pgjdbc's copy manager is a class and not an interface a proxy could stand in for.
 */
final class GuardedCopyManager extends CopyManager {

    private final ConnectionHandle handle;
    private final PgTierManagedConnection session;

    GuardedCopyManager(ConnectionHandle handle, PgTierManagedConnection session, BaseConnection connection)
            throws SQLException {
        super(connection);
        this.handle = handle;
        this.session = session;
    }

    private void check(String sql) throws SQLException {
        handle.requireOn(session);
        handle.sqlSent(session, sql);
    }

    @FunctionalInterface
    private interface Copy {
        long run() throws SQLException, IOException;
    }

    private long watched(String sql, Copy copy) throws SQLException, IOException {
        check(sql);
        session.fitness().executionStarted();
        try {
            return copy.run();
        } catch (SQLException e) {
            session.onError(e);
            throw e;
        } finally {
            session.fitness().executionEnded();
        }
    }

    @Override
    public CopyIn copyIn(String sql) throws SQLException {
        check(sql);
        return super.copyIn(sql);
    }

    @Override
    public CopyOut copyOut(String sql) throws SQLException {
        check(sql);
        return super.copyOut(sql);
    }

    @Override
    public CopyDual copyDual(String sql) throws SQLException {
        check(sql);
        return super.copyDual(sql);
    }

    @Override
    public long copyOut(String sql, Writer to) throws SQLException, IOException {
        return watched(sql, () -> super.copyOut(sql, to));
    }

    @Override
    public long copyOut(String sql, OutputStream to) throws SQLException, IOException {
        return watched(sql, () -> super.copyOut(sql, to));
    }

    @Override
    public long copyIn(String sql, Reader from) throws SQLException, IOException {
        return watched(sql, () -> super.copyIn(sql, from));
    }

    @Override
    public long copyIn(String sql, Reader from, int bufferSize) throws SQLException, IOException {
        return watched(sql, () -> super.copyIn(sql, from, bufferSize));
    }

    @Override
    public long copyIn(String sql, InputStream from) throws SQLException, IOException {
        return watched(sql, () -> super.copyIn(sql, from));
    }

    @Override
    public long copyIn(String sql, InputStream from, int bufferSize) throws SQLException, IOException {
        return watched(sql, () -> super.copyIn(sql, from, bufferSize));
    }

    @Override
    public long copyIn(String sql, ByteStreamWriter from) throws SQLException, IOException {
        return watched(sql, () -> super.copyIn(sql, from));
    }
}
