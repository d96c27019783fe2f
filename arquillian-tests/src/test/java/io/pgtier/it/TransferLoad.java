package io.pgtier.it;

import java.io.IOException;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Concurrent callers doing bank transfers over HTTP until stopped, recording every call: its unique
 * id, when it ran, how it ended and which tier served it. Bounded: each caller stops when told, and
 * every call has a timeout.
 */
final class TransferLoad implements AutoCloseable {

    enum Outcome { COMMITTED, ROLLED_BACK, UNKNOWN }

    /** One transfer as the caller saw it. */
    record Call(String id, long startNanos, long endNanos, int status, String server, String tier, String body) {

        Outcome outcome() {
            return status == 200 ? Outcome.COMMITTED : status == 503 ? Outcome.ROLLED_BACK : Outcome.UNKNOWN;
        }

        Duration took() {
            return Duration.ofNanos(endNanos - startNanos);
        }

        @Override
        public String toString() {
            return id + " (" + status + " after " + took().toMillis() + " ms" + (tier == null ? "" : " via " + tier)
                    + (status == 200 ? "" : ": " + body) + ")";
        }
    }

    private static final Pattern SERVED = Pattern.compile("\"server\":\"(\\d+) \\w+ via (\\w+)\"");

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final URI endpoint;
    private final URL app;
    private final int callers;
    private final List<Call> calls = new CopyOnWriteArrayList<>();
    private ExecutorService pool;
    private volatile boolean running;

    TransferLoad(URL app, int callers) {
        this.app = app;
        String base = app.toString();
        this.endpoint = URI.create((base.endsWith("/") ? base : base + "/") + "api/examples/transfers");
        this.callers = callers;
    }

    TransferLoad start() {
        running = true;
        pool = Executors.newFixedThreadPool(callers);
        for (int i = 0; i < callers; i++) {
            pool.execute(this::transferUntilStopped);
        }
        return this;
    }

    void stop() throws InterruptedException {
        running = false;
        pool.shutdown();
        if (!pool.awaitTermination(90, TimeUnit.SECONDS)) {
            pool.shutdownNow();
            throw new IllegalStateException("callers did not stop within 90 s");
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (running) {
            stop();
        }
    }

    /** For failure messages: how the calls ended so far, and the last one. */
    String summary() {
        List<Call> all = calls();
        return all.stream().collect(java.util.stream.Collectors.groupingBy(Call::status, java.util.stream.Collectors.counting()))
                + (all.isEmpty() ? "" : ", last: " + all.get(all.size() - 1));
    }

    /** Waits until {@code n} transfers that started after {@code afterNanos} were committed via {@code tier}. */
    void awaitSuccessesVia(String tier, long afterNanos, int n, Duration limit) {
        org.awaitility.Awaitility.await().atMost(limit).untilAsserted(() ->
                org.assertj.core.api.Assertions.assertThat(successesVia(tier, afterNanos))
                        .as("transfers committed via %s; %s; adapter: %s", tier, summary(), MicroApp.get(app, "api/status").body())
                        .isGreaterThanOrEqualTo(n));
    }

    List<Call> calls() {
        return List.copyOf(calls);
    }

    long successesVia(String tier, long afterNanos) {
        return calls.stream().filter(c -> c.status() == 200 && tier.equals(c.tier()) && c.startNanos() > afterNanos).count();
    }

    /** The first committed call that started after {@code nanos}. */
    Optional<Call> firstSuccessAfter(long nanos, String tier) {
        return calls.stream().filter(c -> c.status() == 200 && c.startNanos() >= nanos && tier.equals(c.tier()))
                .min((a, b) -> Long.compare(a.endNanos(), b.endNanos()));
    }

    List<Call> failuresBetween(long fromNanos, long toNanos) {
        return calls.stream().filter(c -> c.status() != 200 && c.endNanos() >= fromNanos && c.startNanos() <= toNanos).toList();
    }

    private void transferUntilStopped() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        while (running) {
            int from = random.nextInt(1, Bank.ACCOUNTS + 1);
            int to = from % Bank.ACCOUNTS + 1;
            String id = UUID.randomUUID().toString();
            URI uri = URI.create(endpoint + "?id=" + id + "&from=" + from + "&to=" + to + "&amount=" + random.nextInt(1, 20));
            long start = System.nanoTime();
            int status;
            String body;
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60))
                        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
                status = r.statusCode();
                body = r.body();
            } catch (IOException e) {
                status = -1;
                body = e.toString();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            Matcher m = SERVED.matcher(body);
            boolean served = status == 200 && m.find();
            calls.add(new Call(id, start, System.nanoTime(), status, served ? m.group(1) : null, served ? m.group(2) : null,
                    body.length() > 2000 ? body.substring(0, 2000) : body));
            try {
                // A short pause between a caller's transfers keeps 2 cores from saturating (loopback load test).
                TimeUnit.MILLISECONDS.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
