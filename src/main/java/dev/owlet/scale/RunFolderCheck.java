package dev.owlet.scale;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Whether this machine can write a run folder: what each Spark executor checks before any stage runs, since a
 * shared mount missing or read-only on one machine would otherwise fail its tasks after the teachers had trained.
 */
public final class RunFolderCheck {
    private RunFolderCheck() {}

    /** Null if {@code folder} can be created and written here; otherwise what is wrong, naming it and this host. */
    public static String problem(String folder) {
        Path dir = Path.of(folder);
        try {
            if (Files.exists(dir) && !Files.isDirectory(dir)) return folder + " is a file, not a folder, on " + StudentTask.host();
            Files.createDirectories(dir.resolve("stages"));
            Files.delete(Files.createTempFile(dir.resolve("stages"), ".owlet-write-check", ""));
            return null;
        } catch (IOException | RuntimeException e) {
            return folder + ": cannot write there from " + StudentTask.host() + " (" + e + ")";
        }
    }
}
