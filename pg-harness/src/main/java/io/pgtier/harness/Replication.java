package io.pgtier.harness;

/** How a standby follows its primary. */
public enum Replication {
    /** The primary's commit waits until this standby has flushed the WAL ({@code synchronous_standby_names}). */
    SYNC,
    /** The primary commits without waiting; the standby may lag. */
    ASYNC
}
