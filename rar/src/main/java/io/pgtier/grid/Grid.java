package io.pgtier.grid;

import java.util.Map;

/**
 * The data grid the application server runs, as pgtier uses it: a small shared map of operator
 * actions, hints between instances, and each instance's view of its tiers. Strings only, so the
 * grid never has to load a class of the RAR. {@link Grids#find} gives the one Payara runs, or none.
 */
public interface Grid extends AutoCloseable {

    /** What the grid tells this instance. Called on the grid's threads: hand work off quickly. */
    interface Listener {

        /** An entry of the shared state was written (by any instance, this one too) or merged after a split. */
        void stateChanged(String key, String value);

        /** Instance {@code from} saw something about the tier {@code key} names ({@code what}). */
        void hinted(String key, String what, String from);

        /** A split of the grid healed: this instance's side was merged into the other. */
        void merged();
    }

    /** This instance's name in the grid (Payara's instance name where it gives one). */
    String instance();

    /** The whole shared state: key to encoded {@link SharedAction}. */
    Map<String, String> state();

    /** One entry, {@code null} when absent. */
    String state(String key);

    /** Writes {@code value} if the entry is still {@code expected} ({@code null}: absent); whether it did. */
    boolean replace(String key, String expected, String value);

    /** Tells every other instance about the tier {@code key} names. */
    void hint(String key, String what);

    /** This instance's view of its tiers, kept for {@code ttlSeconds} unless written again. */
    void putView(String view, long ttlSeconds);

    /** Every instance's view it last wrote: instance name to view. */
    Map<String, String> views();

    /** Stops listening and removes this instance's view. */
    @Override
    void close();
}
