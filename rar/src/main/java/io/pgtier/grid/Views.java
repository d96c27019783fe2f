package io.pgtier.grid;

import io.pgtier.api.BreakerState;
import io.pgtier.api.InstanceView;
import io.pgtier.api.Role;
import io.pgtier.api.TierId;
import io.pgtier.api.TierState;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * An {@link InstanceView} as the grid keeps it: a string (the grid never loads the RAR's classes),
 * a line with the time, then a line per tier, its fields separated by tabs (no field has one: a
 * tier's URL is a JDBC URL with its password masked).
 */
public final class Views {

    private Views() {
    }

    public static String encode(InstanceView view) {
        StringBuilder text = new StringBuilder().append(view.at().toEpochMilli());
        for (InstanceView.TierView t : view.tiers()) {
            text.append('\n').append(t.id()).append('\t').append(t.endpoint()).append('\t').append(t.state())
                    .append('\t').append(t.role()).append('\t').append(t.breaker()).append('\t')
                    .append(t.lastProbe() == null ? "" : Long.toString(t.lastProbe().toEpochMilli()));
        }
        return text.toString();
    }

    /** The view {@code text} encodes; {@code null} when this version cannot read it (an instance of another version). */
    public static InstanceView decode(String instance, String text) {
        try {
            String[] lines = text.split("\n");
            List<InstanceView.TierView> tiers = new ArrayList<>();
            for (int i = 1; i < lines.length; i++) {
                String[] f = lines[i].split("\t", -1);
                tiers.add(new InstanceView.TierView(TierId.valueOf(f[0]), f[1], TierState.valueOf(f[2]), Role.valueOf(f[3]),
                        BreakerState.valueOf(f[4]), f[5].isEmpty() ? null : Instant.ofEpochMilli(Long.parseLong(f[5]))));
            }
            return new InstanceView(instance, Instant.ofEpochMilli(Long.parseLong(lines[0])), List.copyOf(tiers));
        } catch (RuntimeException unreadable) {
            return null;
        }
    }
}
