package io.pgtier.api;

import java.time.Instant;

/**
 * Something pgtier decided, and why: a tier down or up, a breaker transition, a failback, new work
 * moved to another tier, an operator's drain, prefer or resume. Safe to show anywhere: the
 * endpoint has its password masked, and no credential is included.
 *
 * @param at       when
 * @param id       the stable id of the kind of event ({@code PGT-3xx}), to search logs and docs for
 * @param pool     the pool it concerns, or {@code null} when it concerns a tier (shared by pools)
 * @param tier     the tier it concerns, or {@code null}
 * @param endpoint that tier's URL, password masked ({@code null} with no tier)
 * @param reason   what happened and why, in words
 * @param actor    who asked, for an operator's action; {@code null} for pgtier's own decisions
 * @param instance where an operator acted, or which instance's hint this follows, when the adapter
 *                 shares a data grid with other instances; {@code null} otherwise
 */
public record PgTierEvent(Instant at, String id, String pool, TierId tier, String endpoint, String reason,
                          String actor, String instance) {
}
