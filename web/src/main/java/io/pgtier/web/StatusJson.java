package io.pgtier.web;

import io.pgtier.api.InstanceView;
import io.pgtier.api.PgTierEvent;
import io.pgtier.api.PoolStatus;
import io.pgtier.api.TierStatus;
import jakarta.json.Json;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonValue;
import java.time.Instant;

/**
 * {@link PoolStatus} and {@link TierStatus} as JSON, field by field. Written out with JSON-P rather
 * than left to JSON-B so the shape is stated here, stays stable if the records grow, and includes
 * {@code canServe}, which is a method, not a component. Tier ids are their labels ("primary"), as
 * in metric tags and health data. Nothing here can carry a password: the records hold none.
 */
final class StatusJson {

    private StatusJson() {
    }

    static JsonObject pool(String resource, PoolStatus p) {
        JsonObjectBuilder checkouts = Json.createObjectBuilder();
        p.checkouts().forEach((tier, n) -> checkouts.add(tier.label(), n));
        JsonArrayBuilder tiers = Json.createArrayBuilder();
        p.tiers().forEach(t -> tiers.add(tier(t)));
        JsonObjectBuilder sessions = Json.createObjectBuilder();
        p.sessions().forEach((tier, n) -> sessions.add(tier.label(), n));
        JsonArrayBuilder events = Json.createArrayBuilder();
        p.events().forEach(e -> events.add(event(e)));
        return Json.createObjectBuilder()
                .add("resource", resource)
                .add("pool", p.pool())
                .add("purpose", p.purpose().name())
                .add("canServe", p.canServe())
                .add("leaksReclaimed", p.leaksReclaimed())
                .add("lastHealthCheck", instant(p.lastHealthCheck()))
                .add("monitorCpuMicros", p.monitorCpuMicros())
                .add("checkouts", checkouts)
                .add("preferred", p.preferred() == null ? JsonValue.NULL : Json.createValue(p.preferred().label()))
                .add("sessions", sessions)
                .add("tiers", tiers)
                .add("events", events)
                .build();
    }

    static JsonObject event(PgTierEvent e) {
        return Json.createObjectBuilder()
                .add("at", e.at().toString())
                .add("id", e.id())
                .add("pool", e.pool() == null ? JsonValue.NULL : Json.createValue(e.pool()))
                .add("tier", e.tier() == null ? JsonValue.NULL : Json.createValue(e.tier().label()))
                .add("endpoint", e.endpoint() == null ? JsonValue.NULL : Json.createValue(e.endpoint()))
                .add("reason", e.reason())
                .add("actor", e.actor() == null ? JsonValue.NULL : Json.createValue(e.actor()))
                .add("instance", e.instance() == null ? JsonValue.NULL : Json.createValue(e.instance()))
                .build();
    }

    /** One instance's view of its tiers ({@link io.pgtier.api.TieredDataSource#instances()}). */
    static JsonObject instance(InstanceView v) {
        JsonArrayBuilder tiers = Json.createArrayBuilder();
        for (InstanceView.TierView t : v.tiers()) {
            tiers.add(Json.createObjectBuilder()
                    .add("id", t.id().label())
                    .add("endpoint", t.endpoint())
                    .add("state", t.state().name())
                    .add("role", t.role().name())
                    .add("breaker", t.breaker().name())
                    .add("lastProbe", instant(t.lastProbe())));
        }
        return Json.createObjectBuilder()
                .add("instance", v.instance())
                .add("at", instant(v.at()))
                .add("tiers", tiers)
                .build();
    }

    static JsonObject tier(TierStatus t) {
        return Json.createObjectBuilder()
                .add("id", t.id().label())
                .add("endpoint", t.endpoint())
                .add("state", t.state().name())
                .add("breaker", t.breaker().name())
                .add("role", t.role().name())
                .add("lagBytes", t.lagBytes())
                .add("open", t.openConnections())
                .add("max", t.maxConnections())
                .add("acquired", t.acquired())
                .add("failures", t.failures())
                .add("breakerRetryAt", instant(t.breakerRetryAt()))
                .add("probationEndsAt", instant(t.probationEndsAt()))
                .add("inDoubt", t.inDoubt())
                .add("oldestInDoubtAt", instant(t.oldestInDoubtAt()))
                .build();
    }

    private static JsonValue instant(Instant i) {
        return i == null ? JsonValue.NULL : Json.createValue(i.toString());
    }
}
