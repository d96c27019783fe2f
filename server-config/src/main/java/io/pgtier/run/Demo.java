package io.pgtier.run;

import io.pgtier.harness.PgServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The run command's failover demo. Its tiers are a primary and two read-only standbys with nobody
 * to promote them, so breaking the primary alone stops all writes: the demo plays the cluster's HA
 * manager on request ({@code promote}), and shows what pgtier decides as it happens — every tier
 * state change of both pools, and whether a write once a second succeeds.
 */
final class Demo {

    private static final Pattern SQLSTATE = Pattern.compile("\"sqlState\":\"(\\w+)\"");
    private static final Pattern POOL = Pattern.compile("\"pool\":\"([^\"]+)\"");
    private static final Pattern TIER = Pattern.compile(
            "\"id\":\"(\\w+)\",\"endpoint\":\"[^\"]*\",\"state\":\"(\\w+)\",\"breaker\":\"(\\w+)\",\"role\":\"(\\w+)\"");

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final String base;
    private final PgServer primary;
    private final PgServer backup;
    private final Map<String, String> lastSeen = new HashMap<>();
    private volatile String lastWrite = "";

    Demo(String base, PgServer primary, PgServer backup) {
        this.base = base;
        this.primary = primary;
        this.backup = backup;
    }

    static String help() {
        return String.join("\n",
                "  break it   type a command and Enter:  hang | resume   (SIGSTOP / SIGCONT the primary: a hung server)",
                "                                        crash           (the primary stops at once)",
                "                                        promote         (what an HA manager does: the backup standby becomes the primary)",
                "             tier state changes, and whether a write once a second succeeds, are printed below as they happen");
    }

    /**
     * Starts the status watcher, the writer and the command reader as daemon threads; the watcher
     * and the writer apart, since a write may wait out the ride-through window.
     */
    void start() {
        daemon("pgtier-demo-status", () -> everySecond(() -> printChanges(get("/pgtier-web/api/status"))));
        daemon("pgtier-demo-writes", () -> everySecond(this::write));
        daemon("pgtier-demo-commands", this::readCommands);
    }

    private interface Step {
        void run() throws IOException, InterruptedException;
    }

    private static void everySecond(Step step) {
        while (true) {
            try {
                step.run();
                // Sampling for a person to read: once a second is what a status page would do.
                TimeUnit.SECONDS.sleep(1);
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException | IOException e) {
                say("unreadable: " + e);
            }
        }
    }

    private void printChanges(String status) {
        // Pools appear in order; each pool's tiers follow it in the JSON.
        Matcher pools = POOL.matcher(status);
        while (pools.find()) {
            int end = status.indexOf("\"pool\":\"", pools.end());
            Matcher tiers = TIER.matcher(status.substring(pools.end(), end < 0 ? status.length() : end));
            while (tiers.find()) {
                String key = pools.group(1) + " " + tiers.group(1);
                String now = tiers.group(2) + " " + tiers.group(4) + " breaker " + tiers.group(3);
                String before = lastSeen.put(key, now);
                if (!now.equals(before)) {
                    say(key + ": " + (before == null ? "" : before + " -> ") + now);
                }
            }
        }
    }

    /** One write; says so when its outcome (success, or the HTTP status and SQLSTATE) changes. */
    private void write() throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/pgtier-web/api/examples/notes?text=run-demo"))
                .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        Matcher state = SQLSTATE.matcher(r.body());
        String outcome = r.statusCode() / 100 == 2 ? "succeed" : "fail " + r.statusCode() + (state.find() ? " " + state.group(1) : "");
        if (!outcome.equals(lastWrite)) {
            lastWrite = outcome;
            String body = r.body().replaceAll("\\s+", " ");
            say("writes " + outcome + (outcome.equals("succeed") ? "" : ": " + body.substring(0, Math.min(body.length(), 300))));
        }
    }

    private void readCommands() {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, java.nio.charset.StandardCharsets.UTF_8));
        try {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                switch (line.strip()) {
                    case "hang" -> run("primary hung (SIGSTOP)", primary::hang);
                    case "resume" -> run("primary resumed (SIGCONT)", primary::resume);
                    case "crash" -> run("primary crashed", primary::crash);
                    case "promote" -> run("backup promoted: it is the writable server now", backup::promote);
                    case "" -> { }
                    default -> System.out.println(help());
                }
            }
        } catch (IOException e) {
            say("stdin closed: " + e.getMessage());
        }
    }

    private static void run(String what, Runnable action) {
        try {
            action.run();
            say(what);
        } catch (RuntimeException e) {
            say("could not: " + e.getMessage());
        }
    }

    private String get(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    private static void say(String line) {
        System.out.println(LocalTime.now().truncatedTo(ChronoUnit.MILLIS) + "  " + line);
    }

    private static void daemon(String name, Runnable body) {
        Thread t = new Thread(body, name);
        t.setDaemon(true);
        t.start();
    }
}
