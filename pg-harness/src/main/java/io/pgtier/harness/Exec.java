package io.pgtier.harness;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the PostgreSQL binaries as the right operating-system user.
 *
 * <p>PostgreSQL refuses to run as root, and CI runs as root: when this JVM is root, every command
 * runs as {@code nobody} through {@code runuser}, and the folders the server writes are handed to
 * that user. Otherwise commands run as the current user and ownership is left alone.
 */
final class Exec {

    static final String UNPRIVILEGED_USER = "nobody";

    private final boolean root;

    Exec() {
        this.root = currentUid() == 0;
    }

    boolean runsAsRoot() {
        return root;
    }

    /** Runs a command as the server user and returns its output; a non-zero exit is an error. */
    String asServerUser(Duration timeout, String... command) {
        List<String> full = new ArrayList<>();
        if (root) {
            full.addAll(List.of("runuser", "-u", UNPRIVILEGED_USER, "--"));
        }
        full.addAll(List.of(command));
        return run(full, timeout);
    }

    /** Runs a command as this JVM's user (for signals: root may signal the server user's processes). */
    String asSelf(Duration timeout, String... command) {
        return run(List.of(command), timeout);
    }

    /** Gives a folder (and what is in it) to the server user, so that user can write it. */
    void handToServerUser(Path path) throws IOException {
        if (!root) {
            return;
        }
        UserPrincipalLookupService lookup = path.getFileSystem().getUserPrincipalLookupService();
        var user = lookup.lookupPrincipalByName(UNPRIVILEGED_USER);
        var group = lookup.lookupPrincipalByGroupName(primaryGroupOf(UNPRIVILEGED_USER));
        try (var walk = Files.walk(path)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                Files.setOwner(p, user);
                Files.getFileAttributeView(p, java.nio.file.attribute.PosixFileAttributeView.class).setGroup(group);
            }
        }
    }

    private static String primaryGroupOf(String user) {
        String out = run(List.of("id", "-gn", user), Duration.ofSeconds(10));
        return out.trim();
    }

    private static String run(List<String> command, Duration timeout) {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        try {
            Process p = pb.start();
            // Output is read on a separate thread so a chatty command cannot fill the pipe and block.
            var output = new java.util.concurrent.CompletableFuture<String>();
            Thread reader = new Thread(() -> {
                try (InputStream in = p.getInputStream()) {
                    output.complete(new String(in.readAllBytes(), StandardCharsets.UTF_8));
                } catch (IOException e) {
                    output.complete("(output unreadable: " + e + ")");
                }
            }, "pg-harness-exec-output");
            reader.setDaemon(true);
            reader.start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("timed out after " + timeout + ": " + String.join(" ", command));
            }
            String text = output.get(5, TimeUnit.SECONDS);
            if (p.exitValue() != 0) {
                throw new IllegalStateException("exit " + p.exitValue() + " from " + String.join(" ", command) + ":\n" + text);
            }
            return text;
        } catch (IOException | java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("could not run " + String.join(" ", command), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running " + String.join(" ", command), e);
        }
    }

    private static int currentUid() {
        try {
            return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        } catch (IOException e) {
            throw new IllegalStateException("cannot read this process's uid from /proc/self", e);
        }
    }
}
