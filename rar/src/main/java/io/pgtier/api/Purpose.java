package io.pgtier.api;

/**
 * What a pool's connections are for; one pool per purpose. The routing rule lives here, on the
 * enum, so the selector, the connect loop and the health check cannot disagree about it.
 */
public enum Purpose {
    /** Only ever served by a writable server. */
    READ_WRITE,
    /** Prefers standbys and may use the primary. */
    READ_ONLY;

    /**
     * Whether a server in {@code role} may serve this purpose. {@link Role#UNKNOWN} is allowed for
     * both: the connection's real role is checked right after connecting, before anyone uses it.
     */
    public boolean canUse(Role role) {
        return switch (this) {
            case READ_WRITE -> role != Role.STANDBY;
            case READ_ONLY -> true;
        };
    }
}
