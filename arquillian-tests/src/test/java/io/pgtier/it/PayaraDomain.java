package io.pgtier.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A throwaway Payara Server domain from the Maven-fetched distribution, on free ports, driven by
 * {@code asadmin} as an operator would (Arquillian's Payara Server adapters left test injection
 * null here). {@link #close()} stops it, and kills it if stopping failed, so nothing stays running.
 */
final class PayaraDomain implements AutoCloseable {

    /** The offsets from the port base a domain listens on (admin, HTTP, HTTPS, IIOP x3, JMS, JMX, OSGi shell, Hazelcast x2, debugger). */
    private static final int[] PORT_OFFSETS = {48, 80, 81, 37, 38, 39, 76, 86, 66, 49, 59, 9};

    record Result(int exitCode, String output) {

        /** This result, or an error with the command's output when it failed. */
        Result orFail(String what) {
            if (exitCode != 0) {
                throw new IllegalStateException(what + " failed (exit " + exitCode + "):\n" + output);
            }
            return this;
        }
    }

    final Path home;
    final Path domains;
    final String name;
    final int portBase;
    private boolean started;

    private PayaraDomain(Path home, Path domains, String name, int portBase) {
        this.home = home;
        this.domains = domains;
        this.name = name;
        this.portBase = portBase;
    }

    /** Creates (not starts) a domain with no admin password on a port base whose ports are all free. */
    static PayaraDomain create(String name) {
        Path home = Path.of(required("pgtier.payara.server"));
        Path domains = Path.of(required("pgtier.work")).resolveSibling("payara-domains");
        PayaraDomain domain = new PayaraDomain(home, domains, name, freePortBase());
        deleteRecursively(domains.resolve(name));
        domain.local("--interactive=false", "create-domain", "--nopassword=true", "--portbase", String.valueOf(domain.portBase),
                "--domaindir", domains.toString(), name).orFail("create-domain");
        return domain;
    }

    void start() {
        started = true;
        local("start-domain", "--domaindir", domains.toString(), name).orFail("start-domain");
    }

    /** {@code stop-domain} as an operator runs it; {@link #close()} is the safety net that also kills. */
    Result stop() {
        Result stop = local("stop-domain", "--domaindir", domains.toString(), name);
        started = stop.exitCode() != 0;
        return stop;
    }

    int adminPort() {
        return portBase + 48;
    }

    int httpPort() {
        return portBase + 80;
    }

    /** The command prefix an operator's script takes as {@code ASADMIN}. */
    String asadminCommand() {
        return asadminPath() + " --port " + adminPort();
    }

    /** A remote command on this domain's admin port. */
    Result asadmin(String... args) {
        List<String> command = new ArrayList<>(List.of("--port", String.valueOf(adminPort()), "--interactive=false"));
        command.addAll(List.of(args));
        return local(command.toArray(String[]::new));
    }

    /** Runs a shell script with {@code ASADMIN} pointing at this domain, plus {@code env}. */
    Result script(Path script, Map<String, String> env, String... args) {
        List<String> command = new ArrayList<>(List.of("sh", script.toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().putAll(env);
        builder.environment().put("ASADMIN", asadminCommand());
        return run(builder);
    }

    /** The server process, while its pid file is there. */
    Optional<ProcessHandle> process() {
        Path pid = domains.resolve(name).resolve("config/pid");
        try {
            return Files.exists(pid) ? ProcessHandle.of(Long.parseLong(Files.readString(pid).trim())) : Optional.empty();
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    Path log() {
        return domains.resolve(name).resolve("logs/server.log");
    }

    /** Stops the domain; if that fails, kills the process its pid file names. */
    @Override
    public void close() {
        if (!started) {
            return;
        }
        Optional<ProcessHandle> server = process();
        Result stop = local("stop-domain", "--domaindir", domains.toString(), name);
        if (stop.exitCode() != 0) {
            local("stop-domain", "--kill=true", "--domaindir", domains.toString(), name);
        }
        server.ifPresent(p -> {
            p.destroyForcibly();
            p.onExit().orTimeout(30, TimeUnit.SECONDS).join();
        });
        started = false;
    }

    private Result local(String... args) {
        List<String> command = new ArrayList<>(List.of(asadminPath()));
        command.addAll(List.of(args));
        return run(new ProcessBuilder(command));
    }

    private String asadminPath() {
        return home.resolve("bin/asadmin").toString();
    }

    private static Result run(ProcessBuilder builder) {
        // asadmin runs on the JDK running the tests (it would take the first java on PATH otherwise)
        builder.environment().put("AS_JAVA", System.getProperty("java.home"));
        builder.redirectErrorStream(true);
        try {
            // Output to a file, so the time limit below holds even if asadmin never closes its output.
            Path output = Files.createTempFile("asadmin", ".out");
            try {
                Process process = builder.redirectOutput(output.toFile()).start();
                process.getOutputStream().close();
                if (!process.waitFor(5, TimeUnit.MINUTES)) {
                    process.destroyForcibly();
                    throw new IllegalStateException("timed out after 5 minutes: " + builder.command());
                }
                return new Result(process.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(output);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static int freePortBase() {
        for (int attempt = 0; attempt < 50; attempt++) {
            int base = 20_000 + 100 * ThreadLocalRandom.current().nextInt(300);
            if (allFree(base)) {
                return base;
            }
        }
        throw new IllegalStateException("no port base with all of its Payara ports free");
    }

    private static boolean allFree(int base) {
        for (int offset : PORT_OFFSETS) {
            try (ServerSocket socket = new ServerSocket()) {
                socket.bind(new InetSocketAddress(base + offset));
            } catch (IOException taken) {
                return false;
            }
        }
        return true;
    }

    private static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String required(String property) {
        String value = System.getProperty(property);
        if (value == null) {
            throw new IllegalStateException("system property " + property + " is not set: run the tests with Maven (failsafe sets it)");
        }
        return value;
    }
}
