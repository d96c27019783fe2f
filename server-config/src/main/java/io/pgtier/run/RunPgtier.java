package io.pgtier.run;

import io.pgtier.harness.PgHarness;
import io.pgtier.harness.PgServer;
import io.pgtier.harness.Replication;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The README's run command: three local PostgreSQL tiers (a primary, a synchronous standby as the
 * backup tier, an asynchronous one as the failover tier), then Payara Micro with the resource
 * adapter and the sample application, configured exactly by {@code micro/post-boot.asadmin}.
 * Prints where to look and runs until Ctrl-C, which stops Micro and the servers.
 *
 * <p>Everything it needs sits in one folder (the first argument) that Maven filled: the Micro jar,
 * the RAR, the WAR and the post-boot file. The database password reaches Payara only as a password
 * alias; the file that creates the alias is deleted once Micro is up.
 */
public final class RunPgtier {

    private RunPgtier() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]).toAbsolutePath();
        int port = args.length > 1 ? Integer.parseInt(args[1]) : freePortFrom(8080);
        Files.createDirectories(dir.resolve("tmp"));

        PgHarness harness = PgHarness.create();
        PgServer primary = harness.startPrimary("primary");
        PgServer backup = harness.startStandby("backup", primary, Replication.SYNC);
        PgServer failover = harness.startStandby("failover", primary, Replication.ASYNC);

        Path aliasPassword = dir.resolve("pgtier-db.aliaspassword");
        Files.writeString(aliasPassword, "AS_ADMIN_ALIASPASSWORD=" + PgHarness.PASSWORD + "\n");
        Path log = dir.resolve("payara-micro.log");
        ProcessBuilder micro = new ProcessBuilder(javaBinary(), "-Xmx512m", "-Djava.io.tmpdir=" + dir.resolve("tmp"),
                "-jar", "payara-micro.jar", "--nocluster", "--port", String.valueOf(port),
                "--postbootcommandfile", "post-boot.asadmin", "--deploy", "pgtier-web.war")
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        micro.environment().put("PGTIER_PRIMARY_URL", primary.jdbcUrl());
        micro.environment().put("PGTIER_BACKUP_URL", backup.jdbcUrl());
        micro.environment().put("PGTIER_FAILOVER_URL", failover.jdbcUrl());
        micro.environment().put("PGTIER_USER", PgServer.USER);

        System.out.println("Starting Payara Micro on port " + port + " (log: " + log + ") ...");
        Process process = micro.start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(process, harness), "pgtier-run-stop"));

        String base = "http://localhost:" + port;
        if (!awaitReady(process, base + "/pgtier-web/api/status", Duration.ofMinutes(4))) {
            System.err.println("Payara Micro did not come up; the last lines of " + log + ":");
            List<String> lines = Files.readAllLines(log);
            lines.subList(Math.max(0, lines.size() - 40), lines.size()).forEach(System.err::println);
            System.exit(1);
        }
        Files.deleteIfExists(aliasPassword);

        System.out.println();
        System.out.println("pgtier is running in Payara Micro:");
        System.out.println("  status     " + base + "/pgtier-web/api/status");
        System.out.println("  health     " + base + "/health   (ready: /health/ready, live: /health/live)");
        System.out.println("  metrics    " + base + "/metrics?scope=application");
        System.out.println("  try        curl -X POST '" + base + "/pgtier-web/api/examples/notes?text=hello'");
        System.out.println("             curl '" + base + "/pgtier-web/api/examples/server'");
        System.out.println("  tiers      primary " + primary.jdbcUrl() + ", backup " + backup.jdbcUrl()
                + " (sync standby), failover " + failover.jdbcUrl() + " (async standby)");
        System.out.println("             user " + PgServer.USER + ", password " + PgHarness.PASSWORD + " (a throw-away local password)");
        System.out.println(Demo.help());
        System.out.println("Press Ctrl-C to stop Payara Micro and the tiers; nothing is left running.");
        new Demo(base, primary, backup).start();
        int exit = process.waitFor();
        System.out.println("Payara Micro exited with " + exit);
    }

    /** Waits until the application answers (its status page: the health endpoint answers before it is deployed). */
    private static boolean awaitReady(Process process, String url, Duration limit) throws InterruptedException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                return false;
            }
            try {
                HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
                        HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == 200) {
                    return true;
                }
            } catch (IOException notYet) {
                // Micro is still booting
            }
            // Polling a process we cannot get an event from; half a second is far below its boot time.
            TimeUnit.MILLISECONDS.sleep(500);
        }
        return false;
    }

    private static void stop(Process process, PgHarness harness) {
        process.destroy();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
        }
        harness.close();
    }

    private static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static int freePortFrom(int preferred) {
        for (int port = preferred; port < preferred + 100; port++) {
            try (ServerSocket s = new ServerSocket(port)) {
                return port;
            } catch (IOException taken) {
                // try the next one
            }
        }
        throw new IllegalStateException("no free port in " + preferred + "-" + (preferred + 99));
    }
}
