package io.pgtier.grid;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * An operator's action as the grid keeps it: the newest one per tier (drained or resumed) and per
 * pool (its preference). Versioned, so that every instance agrees which of two actions is newer,
 * after a split of the grid heals too:
 * <ol>
 *   <li>the higher {@code version} wins: an action is one more than the newest its instance had
 *       seen on that key, so an action taken after seeing another always wins over it;</li>
 *   <li>equal versions (two sides of a split acted as often since): the later {@code atMillis} wins,
 *       by the acting instances' wall clocks;</li>
 *   <li>then the instance name, so the order is total and two instances never undo each other.</li>
 * </ol>
 * Stored as a string, so the grid never needs this class to read it (the RAR's classes are not on
 * the grid's class path).
 *
 * @param version  see above
 * @param atMillis when it was taken, by the acting instance's clock
 * @param instance the instance it was taken on
 * @param actor    who took it (the operator's user name), {@code null} when unknown
 * @param pool     the pool it was taken through
 * @param value    what it says: {@code drained} or {@code resumed} for a tier, the preferred tier's
 *                 label or {@code none} for a pool
 */
public record SharedAction(long version, long atMillis, String instance, String actor, String pool, String value) {

    public SharedAction {
        Objects.requireNonNull(instance, "instance");
        Objects.requireNonNull(value, "value");
    }

    /** The action that follows {@code newest} (or starts a key, when {@code null}). */
    public static SharedAction after(SharedAction newest, long atMillis, String instance, String actor, String pool,
            String value) {
        return new SharedAction(newest == null ? 1 : newest.version + 1, atMillis, instance, actor, pool, value);
    }

    /** Whether this action wins over {@code other} ({@code null} loses to every action); see the class comment. */
    public boolean isNewerThan(SharedAction other) {
        if (other == null) {
            return true;
        }
        if (version != other.version) {
            return version > other.version;
        }
        if (atMillis != other.atMillis) {
            return atMillis > other.atMillis;
        }
        return instance.compareTo(other.instance) > 0;
    }

    /** The newer of two actions, either may be {@code null}. */
    public static SharedAction newer(SharedAction a, SharedAction b) {
        return a == null ? b : a.isNewerThan(b) ? a : b;
    }

    public String encode() {
        return version + "&" + atMillis + "&" + enc(instance) + "&" + enc(actor) + "&" + enc(pool) + "&" + enc(value);
    }

    /** The action {@code text} encodes; {@code null} for {@code null} or a text this version cannot read. */
    public static SharedAction decode(String text) {
        if (text == null) {
            return null;
        }
        String[] f = text.split("&", -1);
        if (f.length != 6) {
            return null;
        }
        try {
            return new SharedAction(Long.parseLong(f[0]), Long.parseLong(f[1]), dec(f[2]), dec(f[3]), dec(f[4]), dec(f[5]));
        } catch (RuntimeException unreadable) {
            return null;
        }
    }

    private static String enc(String s) {
        return s == null ? "" : "=" + URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static String dec(String s) {
        return s.isEmpty() ? null : URLDecoder.decode(s.substring(1), StandardCharsets.UTF_8);
    }
}
