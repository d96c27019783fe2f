package io.pgtier.api;

import java.util.Locale;

/**
 * The three tiers an adapter may be configured with. Declaration order is the walk order: a new
 * physical connection is tried on {@code PRIMARY} first, then {@code BACKUP}, then
 * {@code FAILOVER}. Only the primary is mandatory; an unconfigured tier simply does not exist at
 * run time rather than existing in some "disabled" state.
 */
public enum TierId {
    PRIMARY,
    BACKUP,
    FAILOVER;

    /** The lower-case name used in messages, metric tags and configuration ("primary"). */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
