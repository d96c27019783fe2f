package io.pgtier.web;

import io.pgtier.api.TieredDataSource;
import io.pgtier.client.observe.TieredPools;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.json.Json;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.SecurityContext;

/**
 * {@code POST /api/pools/{pool}/tiers/{tier}/drain|prefer|resume}: an operator's action on a
 * pool's tier. The container lets only an authenticated user in role {@code pgtier-operator} reach
 * it (WEB-INF/web.xml: 401 without credentials, 403 with another role), and the request must carry
 * an {@code X-Requested-By} header, as Payara's own REST API asks, so a page on another site
 * cannot make a logged-in operator's browser post here. Who asked is recorded with the event.
 */
@Path("pools/{pool}/tiers/{tier}")
@RequestScoped
@Produces(MediaType.APPLICATION_JSON)
public class OperatorResource {

    @Inject
    TieredPools pools;

    @Context
    SecurityContext security;

    @POST
    @Path("{action: drain|prefer|resume}")
    public Response act(@PathParam("pool") String pool, @PathParam("tier") String tier,
            @PathParam("action") String action, @HeaderParam("X-Requested-By") String requestedBy) {
        // The container refuses first (web.xml); checked here too, so a deployment without the
        // constraint fails closed.
        if (security.getUserPrincipal() == null) {
            return error(Response.Status.UNAUTHORIZED, "log in as a user in role pgtier-operator");
        }
        if (!security.isUserInRole("pgtier-operator")) {
            return error(Response.Status.FORBIDDEN, "role pgtier-operator required");
        }
        if (requestedBy == null || requestedBy.isBlank()) {
            return error(Response.Status.BAD_REQUEST, "missing header X-Requested-By (any value): it guards against"
                    + " cross-site requests");
        }
        String actor = security.getUserPrincipal().getName();
        for (String resource : pools.resources()) {
            TieredDataSource source;
            try {
                source = pools.tiered(resource);
                if (!source.status().pool().equals(pool)) {
                    continue;
                }
            } catch (Exception unreadable) {
                continue; // another resource's trouble is not this request's
            }
            try {
                switch (action) {
                    case "drain" -> source.drain(tier, actor);
                    case "prefer" -> source.prefer(tier, actor);
                    default -> source.resume(tier, actor);
                }
            } catch (IllegalArgumentException e) {
                return error(Response.Status.NOT_FOUND, e.getMessage());
            } catch (IllegalStateException e) {
                return error(Response.Status.CONFLICT, e.getMessage());
            }
            return Response.ok(StatusJson.pool(resource, source.status())).build();
        }
        return error(Response.Status.NOT_FOUND, "no pgtier pool named " + pool);
    }

    private static Response error(Response.Status status, String message) {
        return Response.status(status).entity(ErrorJson.of(status.getReasonPhrase(), message).build()).build();
    }
}
