package io.pgtier.web;

import jakarta.enterprise.context.RequestScoped;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.SecurityContext;

/**
 * {@code GET /api/operator}: who the caller is, for the status page's login. The container
 * answers 401 for wrong or missing credentials and 403 for a user without role
 * {@code pgtier-operator} (WEB-INF/web.xml), so reaching this method means the page may show the
 * action buttons. It changes nothing.
 */
@Path("operator")
@RequestScoped
@Produces(MediaType.APPLICATION_JSON)
public class OperatorLogin {

    @Context
    SecurityContext security;

    @GET
    public JsonObject whoAmI() {
        return Json.createObjectBuilder()
                .add("user", security.getUserPrincipal() == null ? "" : security.getUserPrincipal().getName())
                .add("operator", security.isUserInRole("pgtier-operator"))
                .build();
    }
}
