package io.pgtier.spi;

import java.util.concurrent.atomic.AtomicReference;

/**
 * Where one managed connection is in its life; each change is one compare-and-set, so of two
 * threads that see the same fatal error, or a destroy racing an error, exactly one acts.
 *
 * <pre>
 *   OPEN ──markBroken──▶ BROKEN ──markDestroyed──▶ DESTROYED
 *     └──────────────markDestroyed───────────────────┘
 * </pre>
 * BROKEN: the error event was fired — a fatal error, a retirement, a transaction that ended while a
 * statement ran — and the container destroys it next; nothing is fired for it again.
 */
enum Lifecycle {
    OPEN, BROKEN, DESTROYED;

    /** A fresh connection's state holder. */
    static AtomicReference<Lifecycle> start() {
        return new AtomicReference<>(OPEN);
    }

    /** OPEN to BROKEN; {@code true} for the one caller that made the change and fires the event. */
    static boolean markBroken(AtomicReference<Lifecycle> state) {
        return state.compareAndSet(OPEN, BROKEN);
    }

    /** To DESTROYED from either; {@code true} for the one caller that closes the session. */
    static boolean markDestroyed(AtomicReference<Lifecycle> state) {
        return state.getAndSet(DESTROYED) != DESTROYED;
    }
}
