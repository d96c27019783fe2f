package io.pgtier.harness;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;

final class Folders {

    private Folders() {
    }

    static void deleteQuietly(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (var walk = Files.walk(root)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // Best effort: a server that is still shutting down may hold a file for a moment.
                }
            });
        } catch (IOException ignored) {
            // Nothing more to do: the watchdog removes what is left when the JVM is gone.
        }
    }
}
