package io.pgtier.web;

import jakarta.json.Json;
import jakarta.json.JsonObjectBuilder;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;
import java.sql.SQLException;

/**
 * A database error becomes {@code 503 {"sqlState": ..., "message": ...}}: the adapter's message
 * already names the pool, every tier it tried and why each failed (and carries no password), which
 * is what a caller or a test needs to see. 503 because the request may succeed once a tier is
 * back; the adapter has marked a CMT transaction rollback-only if the error was fatal.
 */
@Provider
public class SqlExceptionMapper implements ExceptionMapper<SQLException> {

    @Override
    public Response toResponse(SQLException e) {
        JsonObjectBuilder body = ErrorJson.put(Json.createObjectBuilder(), "sqlState", e.getSQLState());
        ErrorJson.put(body, "message", e.getMessage());
        return ErrorJson.response(Response.Status.SERVICE_UNAVAILABLE, body.build());
    }
}
