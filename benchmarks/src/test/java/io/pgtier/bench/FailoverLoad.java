package io.pgtier.bench;

import static org.awaitility.Awaitility.await;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * A steady workload on the failover pool (callers in a loop, each call one acquire + SELECT 1 +
 * release in the server) and the measurement of one fault: from the fault to the first call that
 * started after it and succeeded, and how many calls failed meanwhile.
 */
final class FailoverLoad implements AutoCloseable {

    record Call(int caller, long startNanos, long endNanos, boolean ok, String body) {
    }

    private final ConcurrentLinkedQueue<Call> calls = new ConcurrentLinkedQueue<>();
    private final List<Thread> threads = new ArrayList<>();
    private final int callers;
    private volatile boolean running = true;

    FailoverLoad(Micro micro, int callers) {
        this.callers = callers;
        for (int i = 0; i < callers; i++) {
            int caller = i;
            Thread t = new Thread(() -> {
                while (running) {
                    long start = System.nanoTime();
                    boolean ok;
                    String body;
                    try {
                        HttpResponse<String> r = micro.get("op");
                        ok = r.statusCode() == 200;
                        body = r.body();
                    } catch (RuntimeException e) {
                        ok = false;
                        body = String.valueOf(e);
                    }
                    calls.add(new Call(caller, start, System.nanoTime(), ok, body));
                }
            }, "failover-load-" + i);
            t.setDaemon(true);
            t.start();
            threads.add(t);
        }
    }

    /**
     * Waits for the primary to serve, injects {@code fault}, measures, then runs {@code restore}:
     * {ms to the first success on another tier, calls that failed until every caller succeeded again,
     * successes on the faulted primary}. Failures are counted that long, not only until the first
     * success: a caller blocked on a hung route fails later than another caller's first success.
     */
    double[] measure(Runnable fault, Runnable restore) throws InterruptedException {
        await("the primary serving 20 calls in a row").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(50))
                .until(this::primaryServesAgain);
        calls.clear();
        // Half a second of steady load on the primary, so the fault meets calls in flight as in production.
        Thread.sleep(500);
        long faultAt = System.nanoTime();
        fault.run();
        Call success;
        long recovered;
        try {
            success = await("a success off the primary after the fault").atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(5))
                    .until(() -> firstSuccessOffPrimary(faultAt), Optional::isPresent).orElseThrow();
            recovered = await("every caller succeeding again after the fault").atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(5))
                    .until(() -> everyCallerSucceededSince(faultAt), latest -> latest != 0);
        } finally {
            restore.run();
        }
        long failed = calls.stream().filter(c -> !c.ok() && c.endNanos() >= faultAt && c.endNanos() <= recovered).count();
        // A call that started after the fault and still succeeded on the primary would mean the fault did not take.
        long onPrimary = calls.stream().filter(c -> c.ok() && c.startNanos() >= faultAt && c.body().contains("\"primary\"")).count();
        return new double[] {(success.endNanos() - faultAt) / 1e6, failed, onPrimary};
    }

    private Optional<Call> firstSuccessOffPrimary(long since) {
        return calls.stream().filter(c -> c.ok() && c.startNanos() >= since && !c.body().contains("\"primary\""))
                .min(Comparator.comparingLong(Call::endNanos));
    }

    /** When the last caller to do so got its first success after {@code since}; 0 while one has not. */
    private long everyCallerSucceededSince(long since) {
        long latest = 0;
        for (int caller = 0; caller < callers; caller++) {
            int c = caller;
            long first = calls.stream().filter(x -> x.caller() == c && x.ok() && x.startNanos() >= since)
                    .mapToLong(Call::endNanos).min().orElse(0);
            if (first == 0) {
                return 0;
            }
            latest = Math.max(latest, first);
        }
        return latest;
    }

    /** Whether the last 20 calls that ended were all served by the primary (after a failback). */
    private boolean primaryServesAgain() {
        List<Call> ended = calls.stream().sorted(Comparator.comparingLong(Call::endNanos)).toList();
        int run = 0;
        for (Call c : ended) {
            run = c.ok() && c.body().contains("\"primary\"") ? run + 1 : 0;
        }
        return run >= 20;
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        for (Thread t : threads) {
            t.join(120_000);
        }
    }
}
