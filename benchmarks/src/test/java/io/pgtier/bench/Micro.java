package io.pgtier.bench;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** Payara Micro as a child process with the benchmark WAR, set up by a post-boot file; killed on close. */
final class Micro implements AutoCloseable {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private final Process process;
    final int port;
    final Path log;

    private Micro(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    static Micro start(Path deps, Path war, Path work, List<String> postBoot) throws IOException {
        Files.createDirectories(work);
        Path file = work.resolve("post-boot.asadmin");
        Files.write(file, postBoot);
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path log = work.resolve("payara-micro.log");
        Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx768m", "-Djava.io.tmpdir=" + work, "-jar", deps.resolve("payara-micro.jar").toString(),
                "--nocluster", "--port", String.valueOf(port), "--addLibs", deps.resolve("postgresql.jar").toString(),
                "--postbootcommandfile", file.toString(), "--deploy", war.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        Micro micro = new Micro(process, port, log);
        Runtime.getRuntime().addShutdownHook(new Thread(process::destroyForcibly));
        try {
            await("Payara Micro answering").atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofMillis(500))
                    .ignoreExceptionsInstanceOf(UncheckedIOException.class)
                    .until(() -> {
                        if (!process.isAlive()) {
                            throw new IllegalStateException("Payara Micro exited; see " + log);
                        }
                        return micro.get("ping").statusCode() == 200;
                    });
            return micro;
        } catch (RuntimeException e) {
            micro.close();
            throw new IllegalStateException("Payara Micro did not start; see " + log, e);
        }
    }

    long pid() {
        return process.pid();
    }

    HttpResponse<String> get(String path) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/pgtier-bench/bench/" + path))
                    .timeout(Duration.ofMinutes(2)).GET().build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    HttpResponse<String> post(String path) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/pgtier-bench/bench/" + path))
                    .timeout(Duration.ofMinutes(2)).POST(HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
