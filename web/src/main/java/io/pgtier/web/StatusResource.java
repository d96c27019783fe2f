package io.pgtier.web;

import io.pgtier.client.observe.TieredPools;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.json.Json;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

/**
 * {@code GET /api/status}: both pools as the adapter sees them now, from the same snapshots the
 * health checks and metrics read. Always 200 while the application runs: this is a report, and
 * whether the instance should take traffic is readiness's question. A resource that cannot be read
 * is listed with its error instead of failing the whole report.
 */
@Path("status")
@RequestScoped
@Produces(MediaType.APPLICATION_JSON)
public class StatusResource {

    @Inject
    TieredPools pools;

    @GET
    public JsonObject status() {
        JsonArrayBuilder all = Json.createArrayBuilder();
        for (String resource : pools.resources()) {
            try {
                all.add(StatusJson.pool(resource, pools.tiered(resource).status()));
            } catch (Exception e) {
                all.add(ErrorJson.of("unavailable", String.valueOf(e)).add("resource", resource));
            }
        }
        return Json.createObjectBuilder().add("pools", all).build();
    }
}
