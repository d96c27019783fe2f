package io.pgtier.bench;

import io.pgtier.harness.FaultProxy;
import io.pgtier.harness.PgHarness;
import io.pgtier.harness.PgServer;
import io.pgtier.harness.Replication;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The availability benchmark (profile {@code availability}): the same faults, in one run, against
 * pgtier and against Payara's own JDBC pool on a pgjdbc multi-host URL ({@code targetServerType=primary},
 * connection validation on), both at their defaults, both under the same load at the same time
 * (8 callers each, one autocommitted INSERT per call) and through the same fault proxies, so each
 * fault hits both exactly alike. Prints, per scenario and pool, the calls that failed during and after
 * the fault and the time to the first success; writes {@code bench.out}. Targets are reported, never
 * enforced: no more failures and no longer recovery than the plain pool; recovery within 0.5 s of a
 * fault clearing; new work on a healthy tier within 3 s.
 *
 * <p>A fault lasts a fixed time by design (it is the scenario); everything else waits on conditions.
 */
public final class AvailabilityRunner {

    private static final int CALLERS = Integer.getInteger("bench.availCallers", 8);
    private static final Duration AFTER = Duration.ofSeconds(10);

    private record Call(long startNanos, long endNanos, boolean ok, String body) {
    }

    /** One fault: what it does, what undoes it, how long it lasts, and whether a healthy tier remains. */
    private record Scenario(String name, String pools, Runnable fault, Runnable clear, Duration lasts, boolean otherTierHealthy) {
    }

    private final StringBuilder report = new StringBuilder();

    public static void main(String[] args) throws Exception {
        new AvailabilityRunner().run(Path.of(System.getProperty("bench.deps")), Path.of(System.getProperty("bench.war")),
                Path.of(System.getProperty("bench.out")));
    }

    private void run(Path deps, Path war, Path out) throws Exception {
        try (PgHarness harness = PgHarness.create()) {
            PgServer db = harness.startPrimary("avail-db", "max_connections = 200", "idle_in_transaction_session_timeout = '3s'");
            PgServer primary = harness.startPrimary("avail-primary", "max_connections = 200");
            PgServer standby = harness.startStandby("avail-standby", primary, Replication.ASYNC);
            for (PgServer s : List.of(db, primary)) {
                s.execute("CREATE TABLE avail_writes (id bigserial PRIMARY KEY, pool text, at timestamptz DEFAULT now())");
            }
            FaultProxy single = harness.proxy("avail-single", db);
            FaultProxy routeA = harness.proxy("avail-route-a", db);
            FaultProxy routeB = harness.proxy("avail-route-b", db);
            List<String> postBoot = new ArrayList<>();
            postBoot.add("deploy --type rar --name pgtier " + deps.resolve("pgtier-rar.rar"));
            pools(postBoot, "single", List.of(single.jdbcUrl()));
            pools(postBoot, "routes", List.of(routeA.jdbcUrl(), routeB.jdbcUrl()));
            pools(postBoot, "cluster", List.of(primary.jdbcUrl(), standby.jdbcUrl()));
            placeholders(postBoot, db);
            try (Micro micro = Micro.start(deps, war, out.resolveSibling("avail-micro"), postBoot)) {
                line("# pgtier availability, side by side with Payara's JDBC pool");
                line("");
                line(String.format(Locale.ROOT, "%s; PostgreSQL %s on loopback; %d cores; Java %s; %d callers per pool, both"
                                + " pools loaded at once through the same fault; defaults everywhere (pgtier: probes every 5 s,"
                                + " 1 s timeout; Payara: validation on, pgjdbc multi-host URL with targetServerType=primary).",
                        java.time.LocalDate.now(), harness.postgresVersion(), Runtime.getRuntime().availableProcessors(),
                        System.getProperty("java.version"), CALLERS));
                line("");
                line("| scenario | pool | failed during the fault | failed in the 10 s after | slowest call ending in the fault or the 10 s after | first success after the fault cleared | first success after the fault began |");
                line("|---|---|---|---|---|---|---|");
                List<Scenario> scenarios = List.of(
                        new Scenario("one tier, its route reset 3 s", "single", single::reset, single::pass, Duration.ofSeconds(3), false),
                        new Scenario("one tier, its route black-holed 3 s", "single", single::blackhole, single::pass, Duration.ofSeconds(3), false),
                        new Scenario("both routes reset 3 s, then restored", "routes",
                                () -> { routeA.reset(); routeB.reset(); }, () -> { routeA.pass(); routeB.pass(); }, Duration.ofSeconds(3), false),
                        new Scenario("the only route flapping (reset 1 s, pass 1 s) for 10 s", "single",
                                () -> flap(single), single::pass, Duration.ZERO, false),
                        new Scenario("primary route black-holed, second route healthy (10 s)", "routes",
                                routeA::blackhole, routeA::pass, Duration.ofSeconds(10), true),
                        new Scenario("primary's postmaster stopped 8 s (sessions answer), standby read-only", "cluster",
                                primary::hangPostmaster, primary::resumePostmaster, Duration.ofSeconds(8), false),
                        // Last: it leaves the standby promoted. "Cleared" is the promotion (the HA manager's job).
                        new Scenario("primary crashed, standby promoted 3 s later", "cluster",
                                primary::crash, standby::promote, Duration.ofSeconds(3), false));
                for (Scenario s : scenarios) {
                    measure(micro, s);
                }
                line("");
                line("Reading it: a call is one HTTP request doing one INSERT; \"failed\" counts calls answered with an"
                        + " SQLException (503). Targets (reported, not enforced): pgtier no worse than Payara's pool in every"
                        + " column; first success within 500 ms of the fault clearing; within 3 s of the fault beginning where"
                        + " another tier is healthy.");
            }
        }
        Files.createDirectories(out.getParent());
        Files.writeString(out, report);
        System.out.println("[avail] report written to " + out);
    }

    /** A pgtier pool and a Payara JDBC pool on the same servers, both at their defaults and the same size. */
    private static void pools(List<String> postBoot, String name, List<String> urls) {
        String credentials = "user=" + PgServer.USER + ":password=" + PgHarness.PASSWORD;
        String sizes = " --steadypoolsize 2 --maxpoolsize 16 --maxwait 10000 --isconnectvalidatereq true --failconnection false";
        StringBuilder tiers = new StringBuilder("primaryUrl=" + escape(urls.get(0)));
        if (urls.size() > 1) {
            tiers.append(":backupUrl=").append(escape(urls.get(1)));
        }
        postBoot.add("create-connector-connection-pool --raname pgtier --connectiondefinition javax.sql.DataSource"
                + " --transactionsupport LocalTransaction" + sizes + " --matchconnections true --lazyconnectionassociation false"
                + " --lazyconnectionenlistment false --associatewiththread false"
                + " --property poolName=avail-" + name + ":primaryMaxConnections=16:backupMaxConnections=16:" + tiers + ":"
                + credentials + " avail-pgtier-" + name);
        postBoot.add("create-connector-resource --poolname avail-pgtier-" + name + " jca/avail-" + name);
        // pgjdbc's multi-host URL, as a user of the server's own pool would write it, with pgtier's timeouts.
        String hosts = String.join(",", urls.stream().map(u -> u.substring("jdbc:postgresql://".length(), u.indexOf('/', 18))).toList());
        String url = "jdbc:postgresql://" + hosts + "/postgres?targetServerType=primary&connectTimeout=5&loginTimeout=10&socketTimeout=30";
        postBoot.add("create-jdbc-connection-pool --datasourceclassname org.postgresql.ds.PGSimpleDataSource --restype javax.sql.DataSource"
                + sizes + " --validationmethod custom-validation"
                + " --validationclassname org.glassfish.api.jdbc.validation.PostgresConnectionValidation"
                + " --property url=" + escape(url) + ":" + credentials + " avail-payara-" + name);
        postBoot.add("create-jdbc-resource --connectionpoolid avail-payara-" + name + " jdbc/avail-" + name);
    }

    /** The resources the benchmark WAR's other endpoint injects (Payara checks them when it deploys); unused here. */
    private static void placeholders(List<String> postBoot, PgServer db) {
        String credentials = "user=" + PgServer.USER + ":password=" + PgHarness.PASSWORD;
        for (String name : List.of("bench-pgtier", "bench-failover")) {
            postBoot.add("create-connector-connection-pool --raname pgtier --connectiondefinition javax.sql.DataSource"
                    + " --transactionsupport NoTransaction --steadypoolsize 0 --maxpoolsize 1 --property poolName=" + name
                    + ":primaryUrl=" + escape(db.jdbcUrl()) + ":primaryMaxConnections=1:" + credentials + " " + name);
            postBoot.add("create-connector-resource --poolname " + name + " jca/" + name);
        }
        postBoot.add("create-jdbc-connection-pool --datasourceclassname org.postgresql.ds.PGSimpleDataSource --restype javax.sql.DataSource"
                + " --steadypoolsize 0 --maxpoolsize 1 --property url=" + escape(db.jdbcUrl()) + ":" + credentials + " bench-payara");
        postBoot.add("create-jdbc-resource --connectionpoolid bench-payara jdbc/bench-payara");
    }

    private void measure(Micro micro, Scenario s) throws Exception {
        List<String> resources = List.of("jca/avail-" + s.pools(), "jdbc/avail-" + s.pools());
        boolean cleared = false;
        List<ConcurrentLinkedQueue<Call>> calls = List.of(new ConcurrentLinkedQueue<>(), new ConcurrentLinkedQueue<>());
        List<Thread> threads = new ArrayList<>();
        boolean[] running = {true};
        for (int p = 0; p < 2; p++) {
            for (int i = 0; i < CALLERS; i++) {
                String resource = resources.get(p);
                ConcurrentLinkedQueue<Call> into = calls.get(p);
                Thread t = new Thread(() -> {
                    while (running[0]) {
                        long start = System.nanoTime();
                        boolean ok;
                        String body;
                        try {
                            HttpResponse<String> r = micro.post("avail?resource=" + resource);
                            ok = r.statusCode() == 200;
                            body = r.body();
                        } catch (RuntimeException e) {
                            ok = false;
                            body = String.valueOf(e);
                        }
                        into.add(new Call(start, System.nanoTime(), ok, body));
                    }
                }, "avail-" + resource + "-" + i);
                t.setDaemon(true);
                t.start();
                threads.add(t);
            }
        }
        try {
            org.awaitility.Awaitility.await(s.name() + ": both pools serving").atMost(Duration.ofSeconds(120))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> calls.stream().allMatch(q -> recentSuccesses(q) >= 20));
            long faultAt = System.nanoTime();
            s.fault().run();
            TimeUnit.NANOSECONDS.sleep(s.lasts().toNanos());
            long clearedAt = System.nanoTime();
            cleared = true;
            s.clear().run();
            TimeUnit.NANOSECONDS.sleep(AFTER.toNanos());
            running[0] = false;
            for (Thread t : threads) {
                t.join(120_000);
            }
            for (int p = 0; p < 2; p++) {
                List<Call> all = List.copyOf(calls.get(p));
                String during = failed(all, c -> c.endNanos() >= faultAt && c.endNanos() <= clearedAt);
                String after = failed(all, c -> c.startNanos() >= clearedAt && c.startNanos() <= clearedAt + AFTER.toNanos());
                String slowest = String.format(Locale.ROOT, "%.2f s", all.stream()
                        .filter(c -> c.endNanos() >= faultAt && c.startNanos() <= clearedAt + AFTER.toNanos())
                        .mapToLong(c -> c.endNanos() - c.startNanos()).max().orElse(0) / 1e9);
                String recovery = firstOk(all, clearedAt);
                String detection = s.otherTierHealthy() ? firstOk(all, faultAt) : "—";
                line(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s |", s.name(),
                        p == 0 ? "pgtier" : "Payara JDBC pool", during, after, slowest, recovery, detection));
                System.out.println("[avail] " + s.name() + " / " + resources.get(p) + ": first failure: "
                        + all.stream().filter(c -> !c.ok() && c.endNanos() >= faultAt).map(Call::body).findFirst().orElse("none"));
            }
        } finally {
            running[0] = false;
            if (!cleared) {
                // Only when the scenario did not get as far: a second promotion of a promoted server fails.
                s.clear().run();
            }
        }
    }

    /** Successes among the last 20 calls that ended. */
    private static long recentSuccesses(ConcurrentLinkedQueue<Call> calls) {
        List<Call> ended = calls.stream().sorted(java.util.Comparator.comparingLong(Call::endNanos)).toList();
        return ended.subList(Math.max(0, ended.size() - 20), ended.size()).stream().filter(Call::ok).count();
    }

    private static String failed(List<Call> all, Predicate<Call> window) {
        List<Call> in = all.stream().filter(window).toList();
        long failed = in.stream().filter(c -> !c.ok()).count();
        return in.isEmpty() ? "0 of 0" : String.format(Locale.ROOT, "%d of %d (%.0f %%)", failed, in.size(), 100.0 * failed / in.size());
    }

    /** Milliseconds from {@code since} to the first success of a call that started after it. */
    private static String firstOk(List<Call> all, long since) {
        return all.stream().filter(c -> c.ok() && c.startNanos() >= since).mapToLong(Call::endNanos).min()
                .stream().mapToObj(end -> String.format(Locale.ROOT, "%.2f s", (end - since) / 1e9)).findFirst().orElse("none");
    }

    /** Five cycles of one second reset, one second passing. */
    private static void flap(FaultProxy route) {
        try {
            for (int i = 0; i < 5; i++) {
                route.reset();
                TimeUnit.SECONDS.sleep(1);
                route.pass();
                TimeUnit.SECONDS.sleep(1);
            }
            route.reset();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void line(String text) {
        System.out.println(text);
        report.append(text).append('\n');
    }

    private static String escape(String value) {
        return value.replace(":", "\\:").replace("=", "\\=");
    }
}
