package io.pgtier.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * One Payara Micro instance of a cluster on loopback, started by the test itself (Arquillian runs
 * one container at a time): its own root folder, HTTP port and data-grid port, the application WAR,
 * a post-boot file of its own, and {@code -Xmx512m}. Its log is {@code <root>/server.log*}.
 */
final class MicroInstance implements AutoCloseable {

    private final String name;
    private final Path root;
    private final int httpPort;
    private final Process process;

    private MicroInstance(String name, Path root, int httpPort, Process process) {
        this.name = name;
        this.root = root;
        this.httpPort = httpPort;
        this.process = process;
    }

    /**
     * Starts {@code name} with {@code postBoot}, in data-grid cluster {@code cluster} whose members
     * listen on {@code gridPorts} (this one on {@code gridPort}); does not wait for it.
     */
    static MicroInstance start(String name, Path postBoot, String cluster, int gridPort, List<Integer> gridPorts) {
        try {
            Path root = Path.of(System.getProperty("pgtier.work"), "..", "many", name).normalize();
            // A root folder keeps Micro's domain (pools, deployments) from the last run: each start is a fresh one.
            deleteTree(root);
            Files.createDirectories(root);
            Path tmp = Files.createDirectories(root.resolve("tmp"));
            int http = freePort();
            String members = String.join(",", gridPorts.stream().map(p -> "127.0.0.1:" + p).toList());
            List<String> command = new ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx512m", "-Xss1m", "-XX:+UseSerialGC", "-Djava.io.tmpdir=" + tmp,
                    "-jar", MicroApp.deps().resolve("payara-micro.jar").toString(),
                    "--name", name, "--port", Integer.toString(http), "--nohostaware",
                    "--clustername", cluster, "--clustermode", "tcpip:" + members, "--interfaces", "127.0.0.1",
                    "--startport", Integer.toString(gridPort), "--rootdir", root.resolve("runtime").toString(),
                    "--postbootcommandfile", postBoot.toString(), "--logToFile", root.resolve("server.log").toString(),
                    "--disablephonehome",
                    "--deploy", MicroApp.deps().resolve("pgtier-web.war").toString()));
            Process process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(root.resolve("console.txt").toFile()).start();
            return new MicroInstance(name, root, http, process);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Waits until the application answers. */
    MicroInstance awaitUp() {
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(240)).pollInterval(Duration.ofMillis(500))
                .until(() -> {
                    if (!process.isAlive()) {
                        throw new IllegalStateException(name + " exited; its console: " + console());
                    }
                    try {
                        return MicroApp.get(app(), "api/status").statusCode() == 200;
                    } catch (RuntimeException notYet) {
                        return false;
                    }
                });
        return this;
    }

    String name() {
        return name;
    }

    URL app() {
        try {
            return new URL("http://127.0.0.1:" + httpPort + "/pgtier-web/");
        } catch (java.net.MalformedURLException e) {
            throw new IllegalStateException(e);
        }
    }

    String status() {
        return MicroApp.get(app(), "api/status").body();
    }

    /** Its log so far (every file), for failure messages and the secret scan. */
    String log() {
        StringBuilder all = new StringBuilder();
        try (var files = Files.list(root)) {
            for (Path file : files.filter(f -> f.getFileName().toString().startsWith("server.log")).sorted().toList()) {
                all.append(Files.readString(file));
            }
        } catch (IOException e) {
            all.append("(unreadable: ").append(e).append(')');
        }
        return all.toString();
    }

    private String console() throws IOException {
        String text = Files.readString(root.resolve("console.txt"));
        return text.length() > 4000 ? text.substring(text.length() - 4000) : text;
    }

    /** As a crash: the JVM is killed, nothing shuts down. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
                kill();
            }
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (Files.exists(root)) {
            try (var all = Files.walk(root)) {
                for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
