package io.pgtier.bench.server;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.HdrHistogram.Histogram;

/**
 * Runs one operation from {@code callers} threads for a fixed time and records each call's latency
 * (HdrHistogram, nanoseconds); the same loop measures inside the server and outside it, so the
 * figures of every variant mean the same thing.
 */
public final class Loop {

    /** A call to measure; {@code Exception} ends the run and is reported. */
    @FunctionalInterface
    public interface Call {
        void run() throws Exception;
    }

    /** Calls per second, latency percentiles in microseconds, and how many calls failed. */
    public record Result(long calls, double seconds, double perSecond, double p50Micros, double p99Micros, long errors,
                         String firstError) {
    }

    private Loop() {
    }

    /**
     * Runs {@code callers} threads for {@code millis}; each gets its call from {@code perCaller}
     * (given its index) and a {@code threadFactory} may give it container context.
     */
    public static Result run(int callers, long millis, Function<Integer, Call> perCaller,
            Function<Runnable, Runnable> context) throws InterruptedException {
        CyclicBarrier start = new CyclicBarrier(callers + 1);
        List<Histogram> histograms = new ArrayList<>();
        long[] errors = new long[callers];
        AtomicReference<String> firstError = new AtomicReference<>();
        long[] window = new long[2];
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < callers; i++) {
            Histogram histogram = new Histogram(3);
            histograms.add(histogram);
            int caller = i;
            Call call = perCaller.apply(i);
            Runnable body = context.apply(() -> {
                try {
                    start.await();
                    long deadline = window[1];
                    while (true) {
                        long t0 = System.nanoTime();
                        if (t0 >= deadline) {
                            break;
                        }
                        try {
                            call.run();
                            histogram.recordValue(System.nanoTime() - t0);
                        } catch (Exception e) {
                            errors[caller]++;
                            firstError.compareAndSet(null, String.valueOf(e));
                        }
                    }
                } catch (Exception e) {
                    firstError.compareAndSet(null, String.valueOf(e));
                }
            });
            Thread thread = new Thread(body, "bench-caller-" + i);
            threads.add(thread);
            thread.start();
        }
        window[0] = System.nanoTime();
        window[1] = window[0] + millis * 1_000_000;
        try {
            start.await();
        } catch (java.util.concurrent.BrokenBarrierException e) {
            throw new IllegalStateException(e);
        }
        for (Thread thread : threads) {
            thread.join();
        }
        double seconds = (System.nanoTime() - window[0]) / 1e9;
        Histogram all = new Histogram(3);
        histograms.forEach(all::add);
        long failed = 0;
        for (long e : errors) {
            failed += e;
        }
        return new Result(all.getTotalCount(), seconds, all.getTotalCount() / seconds,
                all.getValueAtPercentile(50) / 1000.0, all.getValueAtPercentile(99) / 1000.0, failed, firstError.get());
    }
}
