package io.pgtier.web;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.ws.rs.BadRequestException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/**
 * The JSON error bodies of this API, built in one place so every failure has the same shape:
 * {@code {"error": ..., "message": ...}} (plus {@code "sqlState"} for database errors).
 */
final class ErrorJson {

    private ErrorJson() {
    }

    /** A response of {@code status} carrying {@code body} as JSON. */
    static Response response(Response.Status status, JsonObject body) {
        return Response.status(status).type(MediaType.APPLICATION_JSON_TYPE).entity(body).build();
    }

    /** {@code {"error": error, "message": message}}; a null message is a JSON null. */
    static JsonObjectBuilder of(String error, String message) {
        return put(Json.createObjectBuilder().add("error", error), "message", message);
    }

    /** Adds {@code key}, as JSON null when {@code value} is null (JSON-P's add refuses null). */
    static JsonObjectBuilder put(JsonObjectBuilder b, String key, String value) {
        return value == null ? b.addNull(key) : b.add(key, value);
    }

    /** The innermost cause, which says what actually went wrong under the container's wrappers. */
    static Throwable rootCause(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root;
    }

    /** {@code value} if present, else a 400 naming the missing query parameter. */
    static String required(String name, String value) {
        if (value == null) {
            throw new BadRequestException(response(Response.Status.BAD_REQUEST,
                    of("missing parameter", "query parameter '" + name + "' is required").build()));
        }
        return value;
    }
}
