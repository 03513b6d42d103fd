package dev.owlet.scale;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Whether this machine can write a run folder: what each Spark executor checks before any stage runs, since a
 * shared mount missing or read-only on one machine (or a filesystem URI one machine cannot reach) would otherwise
 * fail its tasks after the teachers had trained.
 */
public final class RunFolderCheck {
    private RunFolderCheck() {}

    /**
     * Null if {@code folder} can be created and written here; otherwise what is wrong, naming it and this host. A
     * folder given as a filesystem URI is opened through Hadoop with {@code hadoopConf}, and this machine's temporary
     * folder must take a task's local copy of the stages it reads.
     */
    public static String problem(String folder, Map<String, String> hadoopConf) {
        if (RunFolderUri.looksLikeUri(folder)) {
            try {
                String p = HadoopStages.open(RunFolderUri.parse(folder), hadoopConf).problem();
                if (p != null) return p;
            } catch (RuntimeException e) {
                return folder + ": cannot open it from " + StudentTask.host() + " (" + e.getMessage() + ")";
            }
            Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
            try {
                Files.delete(Files.createTempFile(tmp, ".owlet-write-check", ""));
                return null;
            } catch (IOException | RuntimeException e) {
                return folder + ": a task copies the stages it reads to " + tmp + ", which " + StudentTask.host()
                        + " cannot write (" + e + ")";
            }
        }
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
