package io.pgtier.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.pgtier.bench.server.Loop;
import io.pgtier.bench.server.Operation;
import io.pgtier.harness.FaultProxy;
import io.pgtier.harness.PgHarness;
import io.pgtier.harness.PgServer;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Measures pgtier against Payara's own JDBC pool, HikariCP and a bare connection on one
 * PostgreSQL server, in one run, and the time pgtier takes to fail over; prints a Markdown report
 * and writes it to {@code bench.out}. Targets are reported against, never enforced.
 *
 * <p>Tunable with system properties: {@code bench.seconds} (per measurement, 3), {@code bench.repeats}
 * (3), {@code bench.failovers} (repetitions per fault, 10).
 */
public final class BenchmarkRunner {

    private static final int[] CALLERS = java.util.Arrays.stream(System.getProperty("bench.callers", "1,8,32").split(","))
            .mapToInt(Integer::parseInt).toArray();
    private static final int POOL_MAX = 16;
    /** The failover pool's monitor: probe every second, 1 s timeout, down after 2 failures. */
    private static final double DETECTION_BUDGET_SECONDS = 1 + 2 * 1;

    private final long millis = Long.getLong("bench.seconds", 3) * 1000;
    private final int repeats = Integer.getInteger("bench.repeats", 3);
    private final int failovers = Integer.getInteger("bench.failovers", 10);
    /** Extra properties for the measured pgtier pool ({@code a=1:b=2}), to compare configurations. */
    private static final String PGTIER_PROPERTIES = System.getProperty("bench.pgtierProperties", "");
    private final StringBuilder report = new StringBuilder();

    /** One measured cell: every repeat of one variant at one (operation, callers). */
    record Cell(String op, int callers, String variant, List<Loop.Result> runs) {
        Loop.Result median() {
            List<Loop.Result> sorted = runs.stream().sorted(Comparator.comparingDouble(Loop.Result::perSecond)).toList();
            return sorted.get(sorted.size() / 2);
        }

        double min() {
            return runs.stream().mapToDouble(Loop.Result::perSecond).min().orElseThrow();
        }

        double max() {
            return runs.stream().mapToDouble(Loop.Result::perSecond).max().orElseThrow();
        }

        long errors() {
            return runs.stream().mapToLong(Loop.Result::errors).sum();
        }
    }

    public static void main(String[] args) throws Exception {
        new BenchmarkRunner().run(Path.of(System.getProperty("bench.deps")), Path.of(System.getProperty("bench.war")),
                Path.of(System.getProperty("bench.out")));
    }

    private void run(Path deps, Path war, Path out) throws Exception {
        try (PgHarness harness = PgHarness.create()) {
            PgServer db = harness.startPrimary("bench", "max_connections = 300");
            FaultProxy routeA = harness.proxy("bench-route-a", db);
            FaultProxy routeB = harness.proxy("bench-route-b", db);
            List<FaultProxy> footprintRoutes = List.of(harness.proxy("bench-fp-1", db), harness.proxy("bench-fp-2", db),
                    harness.proxy("bench-fp-3", db));
            try (Micro micro = Micro.start(deps, war, out.resolveSibling("bench-micro"),
                    postBoot(deps, db, routeA, routeB, footprintRoutes))) {
                line("# pgtier benchmarks");
                line("");
                line(String.format(Locale.ROOT, "%s; PostgreSQL %s on loopback; %d cores; Java %s; %d s per measurement, %d repeats"
                                + " (median shown, spread = min–max of calls/s); pool maximum %d.",
                        java.time.LocalDate.now(), harness.postgresVersion(), Runtime.getRuntime().availableProcessors(),
                        System.getProperty("java.version"), millis / 1000, repeats, POOL_MAX));
                List<String> parts = List.of(System.getProperty("bench.parts", "overhead,failover,footprint").split(","));
                List<Cell> cells = parts.contains("overhead") ? throughput(micro, db) : List.of();
                if (parts.contains("failover")) {
                    failover(micro, routeA);
                }
                if (parts.contains("footprint")) {
                    footprint(micro);
                }
                if (parts.containsAll(List.of("overhead", "failover", "footprint"))) {
                    targets(cells);
                }
            }
        }
        Files.createDirectories(out.getParent());
        Files.writeString(out, report);
        System.out.println("[bench] report written to " + out);
    }

    private static List<String> postBoot(Path deps, PgServer db, FaultProxy routeA, FaultProxy routeB, List<FaultProxy> fp) {
        String credentials = "user=" + PgServer.USER + ":password=" + PgHarness.PASSWORD;
        String connector = "create-connector-connection-pool --raname pgtier --connectiondefinition javax.sql.DataSource"
                + " --isconnectvalidatereq true --failconnection false --matchconnections true --lazyconnectionassociation false"
                + " --lazyconnectionenlistment false --associatewiththread false --maxwait 60000";
        return List.of(
                "create-resource-adapter-config --property healthCheckIntervalSeconds=1:probeTimeoutSeconds=1:probeFailuresBeforeDown=2 pgtier",
                "deploy --type rar --name pgtier " + deps.resolve("pgtier-rar.rar"),
                connector + " --transactionsupport LocalTransaction --steadypoolsize " + POOL_MAX + " --maxpoolsize " + POOL_MAX
                        + " --property " + (PGTIER_PROPERTIES.isBlank() ? "" : PGTIER_PROPERTIES + ":")
                        + "poolName=bench:primaryUrl=" + escape(db.jdbcUrl()) + ":primaryMaxConnections=40:"
                        + credentials + " bench-pgtier",
                "create-connector-resource --poolname bench-pgtier jca/bench-pgtier",
                "create-jdbc-connection-pool --datasourceclassname org.postgresql.ds.PGSimpleDataSource --restype javax.sql.DataSource"
                        + " --steadypoolsize " + POOL_MAX + " --maxpoolsize " + POOL_MAX + " --maxwait 60000"
                        + " --property serverName=127.0.0.1:portNumber=" + db.port() + ":databaseName=postgres:" + credentials
                        + " bench-payara",
                "create-jdbc-resource --connectionpoolid bench-payara jdbc/bench-payara",
                connector + " --transactionsupport LocalTransaction --steadypoolsize 4 --maxpoolsize " + POOL_MAX
                        + " --property poolName=failover:primaryUrl=" + escape(routeA.jdbcUrl()) + ":backupUrl="
                        + escape(routeB.jdbcUrl()) + ":primaryMaxConnections=20:backupMaxConnections=20"
                        + ":connectTimeoutSeconds=1:loginTimeoutSeconds=1:failbackAfterSeconds=2:breakerWaitInOpenStateSeconds=1:"
                        + credentials + " bench-failover",
                "create-connector-resource --poolname bench-failover jca/bench-failover",
                // Three tiers, 20 connections, for the footprint figure.
                connector + " --transactionsupport LocalTransaction --steadypoolsize 20 --maxpoolsize 20"
                        + " --property poolName=footprint:primaryUrl=" + escape(fp.get(0).jdbcUrl()) + ":backupUrl="
                        + escape(fp.get(1).jdbcUrl()) + ":failoverUrl=" + escape(fp.get(2).jdbcUrl())
                        + ":primaryMaxConnections=20:" + credentials + " bench-footprint",
                "create-connector-resource --poolname bench-footprint jca/bench-footprint");
    }

    // ---- overhead ---------------------------------------------------------------------------

    private List<Cell> throughput(Micro micro, PgServer db) throws Exception {
        Properties props = new Properties();
        props.setProperty("user", PgServer.USER);
        props.setProperty("password", PgHarness.PASSWORD);
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(db.jdbcUrl());
        config.setUsername(PgServer.USER);
        config.setPassword(PgHarness.PASSWORD);
        config.setMaximumPoolSize(POOL_MAX);
        config.setMinimumIdle(POOL_MAX);
        config.setPoolName("bench-hikari");
        List<Cell> cells = new ArrayList<>();
        try (HikariDataSource hikari = new HikariDataSource(config)) {
            for (boolean select : new boolean[] {false, true}) {
                String op = select ? "acquire + SELECT 1 + release" : "acquire + release";
                for (int callers : CALLERS) {
                    Map<String, List<Loop.Result>> runs = new LinkedHashMap<>();
                    Map<String, Function<Long, Loop.Result>> variants = new LinkedHashMap<>();
                    variants.put("(a) pgtier, direct", ms -> remote(micro, "pgtier", "direct", select, callers, ms));
                    variants.put("(b) Payara JDBC pool, direct", ms -> remote(micro, "payara", "direct", select, callers, ms));
                    variants.put("(a) pgtier, via EJB", ms -> remote(micro, "pgtier", "ejb", select, callers, ms));
                    variants.put("(b) Payara JDBC pool, via EJB", ms -> remote(micro, "payara", "ejb", select, callers, ms));
                    variants.put("(c) HikariCP, direct", ms -> local(callers, ms, i -> () -> Operation.once(hikari, select)));
                    if (select) {
                        variants.put("(d) bare connection, direct", ms -> bare(db, props, callers, ms));
                    }
                    // Warm up each variant, then interleave the repeats so drift hits all variants alike.
                    variants.values().forEach(v -> v.apply(Math.max(1000, millis / 2)));
                    for (int r = 0; r < repeats; r++) {
                        variants.forEach((name, v) -> runs.computeIfAbsent(name, n -> new ArrayList<>()).add(v.apply(millis)));
                    }
                    runs.forEach((name, results) -> cells.add(new Cell(op, callers, name, results)));
                    System.out.printf("[bench] %s, %d callers: done%n", op, callers);
                }
            }
        }
        line("");
        line("## Overhead: calls per second and latency");
        line("");
        line("| operation | callers | variant | calls/s | spread | p50 µs | p99 µs | errors |");
        line("|---|---:|---|---:|---|---:|---:|---:|");
        for (Cell c : cells) {
            Loop.Result m = c.median();
            line(String.format(Locale.ROOT, "| %s | %d | %s | %,.0f | %,.0f–%,.0f | %.1f | %.1f | %d |", c.op(), c.callers(), c.variant(),
                    m.perSecond(), c.min(), c.max(), m.p50Micros(), m.p99Micros(), c.errors()));
        }
        line("");
        line("## Ratios (median calls/s)");
        line("");
        line("| operation | callers | a/b direct | a/b via EJB | a/c direct | a/d direct |");
        line("|---|---:|---:|---:|---:|---:|");
        for (boolean select : new boolean[] {false, true}) {
            String op = select ? "acquire + SELECT 1 + release" : "acquire + release";
            for (int callers : CALLERS) {
                line(String.format(Locale.ROOT, "| %s | %d | %.2f | %.2f | %.2f | %s |", op, callers,
                        ratio(cells, op, callers, "(a) pgtier, direct", "(b) Payara JDBC pool, direct"),
                        ratio(cells, op, callers, "(a) pgtier, via EJB", "(b) Payara JDBC pool, via EJB"),
                        ratio(cells, op, callers, "(a) pgtier, direct", "(c) HikariCP, direct"),
                        select ? String.format(Locale.ROOT, "%.2f", ratio(cells, op, callers, "(a) pgtier, direct", "(d) bare connection, direct")) : "–"));
            }
        }
        return cells;
    }

    private static Loop.Result remote(Micro micro, String pool, String via, boolean select, int callers, long millis) {
        HttpResponse<String> r = micro.get("run?pool=" + pool + "&via=" + via + "&select=" + select + "&callers=" + callers
                + "&millis=" + millis);
        if (r.statusCode() != 200) {
            throw new IllegalStateException("run " + pool + "/" + via + " failed: " + r.statusCode() + " " + r.body());
        }
        String b = r.body();
        return new Loop.Result((long) number(b, "calls"), number(b, "seconds"), number(b, "perSecond"), number(b, "p50Micros"),
                number(b, "p99Micros"), (long) number(b, "errors"), null);
    }

    private static Loop.Result local(int callers, long millis, Function<Integer, Loop.Call> perCaller) {
        try {
            return Loop.run(callers, millis, perCaller, Function.identity());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** One dedicated physical connection per caller, opened before the clock starts: the floor. */
    private static Loop.Result bare(PgServer db, Properties props, int callers, long millis) {
        List<Connection> connections = new ArrayList<>();
        try {
            for (int i = 0; i < callers; i++) {
                connections.add(DriverManager.getConnection(db.jdbcUrl(), props));
            }
            return local(callers, millis, i -> () -> Operation.selectOne(connections.get(i)));
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        } finally {
            for (Connection c : connections) {
                try {
                    c.close();
                } catch (SQLException ignored) {
                    // closing a benchmark connection
                }
            }
        }
    }

    private static double ratio(List<Cell> cells, String op, int callers, String a, String b) {
        return find(cells, op, callers, a).median().perSecond() / find(cells, op, callers, b).median().perSecond();
    }

    private static Cell find(List<Cell> cells, String op, int callers, String variant) {
        return cells.stream().filter(c -> c.op().equals(op) && c.callers() == callers && c.variant().equals(variant))
                .findFirst().orElseThrow(() -> new IllegalStateException("no cell " + op + "/" + callers + "/" + variant));
    }

    private static double number(String json, String key) {
        Matcher m = Pattern.compile("\"" + key + "\":(-?[0-9.eE+-]+)").matcher(json);
        if (!m.find()) {
            throw new IllegalStateException("no " + key + " in " + json);
        }
        return Double.parseDouble(m.group(1));
    }

    // ---- failover ---------------------------------------------------------------------------

    private final List<double[]> crash = new ArrayList<>();
    private final List<double[]> hang = new ArrayList<>();

    private void failover(Micro micro, FaultProxy route) throws Exception {
        try (FailoverLoad load = new FailoverLoad(micro, 4)) {
            for (int i = 0; i < failovers; i++) {
                crash.add(load.measure(route::reset, route::pass));
                hang.add(load.measure(route::blackhole, route::pass));
                System.out.printf("[bench] failover repetition %d: crash %.0f ms (%.0f failed, %.0f served by the faulted primary),"
                        + " hang %.0f ms (%.0f failed, %.0f served by the faulted primary)%n", i + 1,
                        crash.get(i)[0], crash.get(i)[1], crash.get(i)[2], hang.get(i)[0], hang.get(i)[1], hang.get(i)[2]);
            }
        }
        line("");
        line("## Failover: fault of the primary route to the first success on the backup route");
        line("");
        line(String.format(Locale.ROOT, "4 callers, each acquire + SELECT 1 + release through an HTTP call into Payara Micro;"
                + " pool `bench-failover` (primary and backup are two routes, fault proxies, to the same server); monitor every 1 s,"
                + " 1 s probe timeout, down after 2 failed probes (detection budget %.0f s); %d repetitions each.", DETECTION_BUDGET_SECONDS,
                failovers));
        line("");
        line("Failed calls are counted from the fault until every caller has succeeded again (a caller blocked on a hung");
        line("route fails only when the monitor aborts its session, after the other callers moved on).");
        line("");
        line("| fault | first success, median ms | max ms | failed calls, median | max | calls served by the faulted route |");
        line("|---|---:|---:|---:|---:|---:|");
        line(failoverRow("crash (route resets and refuses)", crash));
        line(failoverRow("hang (route black-holed)", hang));
    }

    private static String failoverRow(String fault, List<double[]> runs) {
        double[] times = runs.stream().mapToDouble(r -> r[0]).sorted().toArray();
        double[] failed = runs.stream().mapToDouble(r -> r[1]).sorted().toArray();
        double onFaulted = runs.stream().mapToDouble(r -> r[2]).sum();
        return String.format(Locale.ROOT, "| %s | %.0f | %.0f | %.0f | %.0f | %.0f |", fault, times[times.length / 2],
                times[times.length - 1], failed[failed.length / 2], failed[failed.length - 1], onFaulted);
    }

    // ---- footprint --------------------------------------------------------------------------

    private double adapterHeapKb;
    private double driverHeapKb;
    private double processCorePercent;
    private double monitorCorePercent;
    private double defaultCorePercent;
    /**
     * Tiers of the benchmark's pools (bench 1, failover 2, footprint 3); the RAR's default pool may add
     * one, so per-probe figures computed with 6 are upper bounds.
     */
    private static final int TIERS = 6;

    private void footprint(Micro micro) throws Exception {
        Map<String, Long> histogram = classHistogram(micro.pid());
        adapterHeapKb = sum(histogram, "io.pgtier.") / 1024.0;
        driverHeapKb = sum(histogram, "org.postgresql.") / 1024.0;
        java.time.Duration processBefore = cpu(micro.pid());
        double monitorBefore = number(micro.get("monitor-cpu").body(), "micros");
        long start = System.nanoTime();
        Thread.sleep(30_000); // the measurement window itself: idle CPU over a fixed time, not a wait for something
        double monitorMicros = number(micro.get("monitor-cpu").body(), "micros") - monitorBefore;
        double processSeconds = cpu(micro.pid()).minus(processBefore).toNanos() / 1e9;
        double seconds = (System.nanoTime() - start) / 1e9;
        processCorePercent = 100.0 * processSeconds / seconds;
        monitorCorePercent = 100.0 * monitorMicros / 1e6 / seconds;
        double perProbeMillis = monitorMicros / 1000 / (TIERS * seconds);
        defaultCorePercent = 100.0 * perProbeMillis / 1000 * 3 / 5;
        line("");
        line("## Footprint");
        line("");
        line(String.format(Locale.ROOT, "- Heap of the adapter's own objects (`io.pgtier.*`, shallow sizes from `jcmd GC.class_histogram`)"
                + " with its three pools up — %d tiers and at least 16 + 4 + 20 connections, more than the three tiers and 20"
                + " connections of the target: **%.0f KB**. pgjdbc's own objects (`org.postgresql.*`) for those connections and"
                + " the 16 of Payara's JDBC pool: %.0f KB.", TIERS, adapterHeapKb, driverHeapKb));
        line(String.format(Locale.ROOT, "- The health monitor's CPU time over %.0f s idle, as the adapter counts it on the threads that ran"
                + " its rounds and probes (`monitorCpuMicros` in the pool status): **%.2f %% of a core** probing %d tiers every"
                + " second (one more if Payara instantiated the RAR's default pool), at most %.1f ms per probe (a new session each time: TCP, SCRAM authentication, one query). At the default"
                + " interval (5 s) with three tiers that is **%.3f %% of a core**. The whole idle Payara Micro process used %.2f %%."
                + " (The JVM's side only: each probe also costs the server a backend process and an authentication.)",
                seconds, monitorCorePercent, TIERS, perProbeMillis, defaultCorePercent, processCorePercent));
    }

    private static Map<String, Long> classHistogram(long pid) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(), String.valueOf(pid),
                "GC.class_histogram").redirectErrorStream(true).start();
        String text = new String(p.getInputStream().readAllBytes());
        p.waitFor();
        Map<String, Long> bytes = new LinkedHashMap<>();
        Matcher m = Pattern.compile("(?m)^\\s*\\d+:\\s+\\d+\\s+(\\d+)\\s+(\\S+)").matcher(text);
        while (m.find()) {
            bytes.merge(m.group(2), Long.parseLong(m.group(1)), Long::sum);
        }
        if (bytes.isEmpty()) {
            throw new IllegalStateException("jcmd gave no class histogram: " + text);
        }
        return bytes;
    }

    private static long sum(Map<String, Long> histogram, String prefix) {
        return histogram.entrySet().stream().filter(e -> e.getKey().startsWith(prefix)).mapToLong(Map.Entry::getValue).sum();
    }

    private static java.time.Duration cpu(long pid) {
        return ProcessHandle.of(pid).flatMap(p -> p.info().totalCpuDuration())
                .orElseThrow(() -> new IllegalStateException("no CPU time for process " + pid));
    }

    // ---- targets ----------------------------------------------------------------------------

    private void targets(List<Cell> cells) {
        line("");
        line("## Against the targets (reported, not enforced)");
        line("");
        double worstDirect = Double.MAX_VALUE;
        double worstEjb = Double.MAX_VALUE;
        for (Cell c : cells) {
            if (c.variant().equals("(a) pgtier, direct")) {
                worstDirect = Math.min(worstDirect, ratio(cells, c.op(), c.callers(), c.variant(), "(b) Payara JDBC pool, direct"));
            }
            if (c.variant().equals("(a) pgtier, via EJB")) {
                worstEjb = Math.min(worstEjb, ratio(cells, c.op(), c.callers(), c.variant(), "(b) Payara JDBC pool, via EJB"));
            }
        }
        Cell acquire = find(cells, "acquire + release", 1, "(a) pgtier, direct");
        Cell acquirePayara = find(cells, "acquire + release", 1, "(b) Payara JDBC pool, direct");
        double micros = 1e6 / acquire.median().perSecond();
        double payaraMicros = 1e6 / acquirePayara.median().perSecond();
        double vsBare = ratio(cells, "acquire + SELECT 1 + release", 1, "(a) pgtier, direct", "(d) bare connection, direct");
        double[] crashTimes = crash.stream().mapToDouble(r -> r[0]).sorted().toArray();
        double[] hangTimes = hang.stream().mapToDouble(r -> r[0]).sorted().toArray();
        line("| target | measured | met |");
        line("|---|---|---|");
        target("(a)/(b) ≥ 1.0 in every row, direct", String.format(Locale.ROOT, "lowest %.3f", worstDirect), worstDirect >= 1.0);
        target("(a)/(b) ≥ 1.0 in every row, via EJB", String.format(Locale.ROOT, "lowest %.3f", worstEjb), worstEjb >= 1.0);
        target("one acquire + release ≤ 3 µs, direct, 1 caller", String.format(Locale.ROOT, "%.2f µs (Payara's pool: %.2f µs)",
                micros, payaraMicros), micros <= 3.0);
        target("acquire + SELECT 1 + release, 1 caller, ≥ 0.85× bare", String.format(Locale.ROOT, "%.2f×", vsBare), vsBare >= 0.85);
        target("route crash: first success ≤ 250 ms median, ≤ 1 s max", String.format(Locale.ROOT, "%.0f ms median, %.0f ms max",
                crashTimes[crashTimes.length / 2], crashTimes[crashTimes.length - 1]),
                crashTimes[crashTimes.length / 2] <= 250 && crashTimes[crashTimes.length - 1] <= 1000);
        double hangLimit = (DETECTION_BUDGET_SECONDS + 0.5) * 1000;
        target(String.format(Locale.ROOT, "route hang: first success within the detection budget + 0.5 s (%.0f ms)", hangLimit),
                String.format(Locale.ROOT, "%.0f ms median, %.0f ms max", hangTimes[hangTimes.length / 2], hangTimes[hangTimes.length - 1]),
                hangTimes[hangTimes.length - 1] <= hangLimit);
        target("adapter heap, three tiers and 20 connections, ≤ 5 MB", String.format(Locale.ROOT,
                "%.0f KB for %d tiers and 40+ connections (shallow)", adapterHeapKb, TIERS), adapterHeapKb <= 5 * 1024);
        target("idle monitor ≤ 1 % of a core", String.format(Locale.ROOT, "%.2f %% (%d tiers every second); %.3f %% at the"
                + " defaults (3 tiers, 5 s)", monitorCorePercent, TIERS, defaultCorePercent), monitorCorePercent <= 1.0);
    }

    private void target(String what, String measured, boolean met) {
        line("| " + what + " | " + measured + " | " + (met ? "yes" : "**no**") + " |");
    }

    private void line(String text) {
        System.out.println(text);
        report.append(text).append('\n');
    }

    private static String escape(String value) {
        return value.replace(":", "\\:").replace("=", "\\=");
    }
}
