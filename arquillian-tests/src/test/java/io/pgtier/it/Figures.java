package io.pgtier.it;

import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.net.URL;

/** What a fault scenario measured, printed for people to read (figures, not assertions), and steady-state checks. */
final class Figures {

    private Figures() {
    }

    /** Prints time from the fault to the first transfer committed via {@code tier}, and what failed meanwhile. */
    static TransferLoad.Call report(String scenario, TransferLoad load, long faultNanos, String tier) {
        TransferLoad.Call first = load.firstSuccessAfter(faultNanos, tier)
                .orElseThrow(() -> new AssertionError(scenario + ": no transfer committed via " + tier + " after the fault"));
        List<TransferLoad.Call> failed = load.failuresBetween(faultNanos, first.endNanos());
        long maxFailedMillis = failed.stream().map(TransferLoad.Call::took).max(Comparator.naturalOrder())
                .orElse(Duration.ZERO).toMillis();
        System.out.printf("[figures] %s: first transfer via %s committed %d ms after the fault; %d failed meanwhile"
                        + " (%s), the slowest failure took %d ms%n",
                scenario, tier, Duration.ofNanos(first.endNanos() - faultNanos).toMillis(), failed.size(),
                failed.stream().collect(Collectors.groupingBy(TransferLoad.Call::outcome, Collectors.counting())),
                maxFailedMillis);
        return first;
    }

    /**
     * Waits until, for every tier, the sessions its server counts for both pools equal the open
     * connections the adapter reports (nothing leaked on either side), and checks the total is
     * within the pools' maximum sizes (10 + 8).
     */
    static void awaitSteady(URL app, java.util.Map<String, io.pgtier.harness.PgServer> tiers) {
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            for (var tier : tiers.entrySet()) {
                org.assertj.core.api.Assertions.assertThat(
                                MicroApp.sessions(tier.getValue(), "pgtier-rw") + MicroApp.sessions(tier.getValue(), "pgtier-ro"))
                        .as("sessions on the %s server vs the adapter's open count; server: %s; adapter: %s", tier.getKey(),
                                MicroApp.activity(tier.getValue()), MicroApp.get(app, "api/status").body())
                        .isEqualTo(open(app, tier.getKey()));
            }
        });
        org.assertj.core.api.Assertions.assertThat(tiers.keySet().stream().mapToInt(t -> open(app, t)).sum())
                .as("within the pools' maximum sizes").isLessThanOrEqualTo(10 + 8);
    }

    /** The open connections the adapter reports for a tier (shared by both pools). */
    static int open(URL app, String tier) {
        String status = MicroApp.get(app, "api/status").body();
        Matcher m = Pattern.compile("\"id\":\"" + tier + "\"[^}]*?\"open\":(\\d+)").matcher(status);
        if (!m.find()) {
            throw new AssertionError("no open count for tier " + tier + " in " + status);
        }
        return Integer.parseInt(m.group(1));
    }
}
