package io.pgtier.web;

import io.pgtier.api.InstanceView;
import io.pgtier.api.TieredDataSource;
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
 * health checks and metrics read, and every instance's view of the tiers when the server shares a
 * data grid with others ({@code instances}; this instance's alone without one). Always 200 while
 * the application runs: this is a report, and whether the instance should take traffic is
 * readiness's question. A resource that cannot be read is listed with its error instead of failing
 * the whole report.
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
        JsonArrayBuilder instances = null;
        for (String resource : pools.resources()) {
            try {
                TieredDataSource source = pools.tiered(resource);
                all.add(StatusJson.pool(resource, source.status()));
                if (instances == null) {
                    // The views are the adapter's, the same through every pool of it.
                    instances = Json.createArrayBuilder();
                    for (InstanceView view : source.instances()) {
                        instances.add(StatusJson.instance(view));
                    }
                }
            } catch (Exception e) {
                all.add(ErrorJson.of("unavailable", String.valueOf(e)).add("resource", resource));
            }
        }
        return Json.createObjectBuilder().add("pools", all)
                .add("instances", instances == null ? Json.createArrayBuilder() : instances).build();
    }
}
