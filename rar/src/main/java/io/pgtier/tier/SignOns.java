package io.pgtier.tier;

import java.util.ArrayList;
import java.util.List;

/**
 * The passwords the pools that share a tier sign on with (one user: the tier's), and which of them
 * the server took or refused, so the monitor probes only with one a pool has used, or none that
 * the server refused. Two pools on one server whose passwords differ, one of them wrong: the
 * probe keeps to the right one, the wrong one costs the server no failed logins from the monitor,
 * and the tier is judged by the server's health alone. A password offered again (a pool re-created
 * after a rotation) is tried again.
 *
 * <p>When the server has refused every password, the newest is still tried once a minute
 * ({@link #RETRY_REFUSED_NANOS}): a DBA may set the password back, and a tier nobody probes would
 * never be seen up again. A {@code null} password (trust or certificate authentication) is one
 * candidate like any other.
 */
public final class SignOns {

    /** One candidate: the password, which may be {@code null}. */
    public record SignOn(String password) {
    }

    /** How often the newest password is tried again once the server refused every one. */
    public static final long RETRY_REFUSED_NANOS = 60_000_000_000L;

    private final List<SignOn> offered = new ArrayList<>();
    private final List<SignOn> refused = new ArrayList<>();
    private SignOn worked;
    private long lastRetryNanos;
    private boolean retried;

    /** A pool names the tier with this password: it becomes the newest candidate, refused or not before. */
    public synchronized void offer(String password) {
        SignOn candidate = new SignOn(password);
        offered.remove(candidate);
        offered.add(candidate);
        refused.remove(candidate);
    }

    /** The server accepted this password (a pool's session or a probe signed on with it). */
    public synchronized void worked(String password) {
        SignOn candidate = new SignOn(password);
        worked = candidate;
        refused.remove(candidate);
    }

    /** The server refused this password (28000, 28P01): not probed with again until it is offered again. */
    public synchronized void refused(String password) {
        SignOn candidate = new SignOn(password);
        if (!refused.contains(candidate)) {
            refused.add(candidate);
        }
        if (candidate.equals(worked)) {
            worked = null;
        }
    }

    /**
     * What the next probe signs on with, at {@code nowNanos}: the password that last worked; else
     * the newest offered that was not refused; else, once a minute, the newest offered; {@code null}
     * when there is none to try now.
     */
    public synchronized SignOn forProbe(long nowNanos) {
        if (worked != null) {
            return worked;
        }
        for (int i = offered.size() - 1; i >= 0; i--) {
            if (!refused.contains(offered.get(i))) {
                return offered.get(i);
            }
        }
        if (offered.isEmpty() || retried && nowNanos - lastRetryNanos < RETRY_REFUSED_NANOS) {
            return null;
        }
        retried = true;
        lastRetryNanos = nowNanos;
        return offered.get(offered.size() - 1);
    }
}
