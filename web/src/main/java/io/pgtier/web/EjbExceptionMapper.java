package io.pgtier.web;

import jakarta.ejb.EJBException;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;

/**
 * A system exception from a bean (its transaction already rolled back by the container) becomes
 * {@code 500 {"error": ..., "message": ...}} naming the root cause, instead of the server's HTML
 * error page. Expected failures are caught by the resource itself; this covers the rest.
 */
@Provider
public class EjbExceptionMapper implements ExceptionMapper<EJBException> {

    @Override
    public Response toResponse(EJBException e) {
        Throwable root = ErrorJson.rootCause(e);
        return ErrorJson.response(Response.Status.INTERNAL_SERVER_ERROR,
                ErrorJson.of(root.getClass().getName(), root.getMessage()).build());
    }
}
