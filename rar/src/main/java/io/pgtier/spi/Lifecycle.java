package io.pgtier.spi;

import java.util.concurrent.atomic.AtomicReference;

/**
 * Where one managed connection is in its life; each change is one compare-and-set, so of two
 * threads that see the same fatal error, or a destroy racing an error, exactly one acts.
 *
 * <pre>
 *   OPEN ──markBroken──▶ BROKEN ──markDestroyed──▶ DESTROYED
 *     ├──────────────markDestroyed───────────────────┤
 *     └──markDetached──▶ DETACHED ──markDestroyed────┘
 * </pre>
 * BROKEN: the error event was fired — a fatal error, a retirement, a transaction that ended while a
 * statement ran — and the container destroys it next; nothing is fired for it again.
 * DETACHED: the container destroyed it while its local transaction was under way (Payara re-creates
 * a pool whose properties change, and destroys every connection of the old one, those in use
 * too): the session serves that transaction to its end, then closes; the container hears nothing more of it.
 */
enum Lifecycle {
    OPEN, BROKEN, DETACHED, DESTROYED;

    /** A fresh connection's state holder. */
    static AtomicReference<Lifecycle> start() {
        return new AtomicReference<>(OPEN);
    }

    /** OPEN to BROKEN; {@code true} for the one caller that made the change and fires the event. */
    static boolean markBroken(AtomicReference<Lifecycle> state) {
        return state.compareAndSet(OPEN, BROKEN);
    }

    /** OPEN to DETACHED; {@code true} for the one caller that made the change. */
    static boolean markDetached(AtomicReference<Lifecycle> state) {
        return state.compareAndSet(OPEN, DETACHED);
    }

    /** To DESTROYED from any other state; {@code true} for the one caller that closes the session. */
    static boolean markDestroyed(AtomicReference<Lifecycle> state) {
        return state.getAndSet(DESTROYED) != DESTROYED;
    }
}
