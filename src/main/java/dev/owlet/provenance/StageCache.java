package dev.owlet.provenance;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Stage skipping keyed on inputs: a stage's key hashes its name, its own config and the keys of what it reads,
 * then names the code that made it ({@code <inputs hash>@<code version>}). A stage folder whose manifest carries
 * the same key is complete and reused; any other folder is redone. So a killed run resumes at the stage it was in,
 * a changed config value reruns exactly what depends on it, and a rebuilt owlet with other code reruns everything.
 *
 * <p>{@link #reuseStale} relaxes the last rule on purpose ({@code owlet run --reuse-stale}): a stage whose inputs
 * match but whose code differs is kept, and listed by {@link #staleReused()} so the report can say which numbers
 * older code made. {@link #reuseFrom} lets a run take finished stages from other run folders ({@code owlet run
 * --reuse-from RUN}): a stage missing here whose folder there carries the same key is copied in whole, then reused
 * (an ablation then trains its students on the flagship's very teachers and data, without remaking them). Both are
 * process-wide because the CLI runs one experiment per process.
 */
public final class StageCache {
    private static volatile boolean reuseStale;
    private static final List<String> STALE = new ArrayList<>();
    private static volatile List<Path> sources = List.of();
    private static final List<String> COPIED = new ArrayList<>();
    private static final java.util.regex.Pattern STAGE_KEY = java.util.regex.Pattern.compile("[0-9a-f]{64}@.*");

    private StageCache() {}

    public static String key(String stage, Object config, String... inputs) {
        StringBuilder sb = new StringBuilder(stage).append('\n');
        sb.append(dev.owlet.experiment.ConfigLoader.toMapOrValue(config)).append('\n');
        // An upstream stage's key enters by its inputs part: the code version is this key's own suffix, so a stage
        // kept by --reuse-stale does not change the inputs of what reads it.
        for (String i : inputs) sb.append(upstream(i)).append('\n');
        return Hashing.sha256(sb.toString()) + "@" + CodeVersion.get(); // other code, other stage
    }

    /**
     * An upstream stage's key as a downstream input: its inputs part only. The code version is that key's own suffix,
     * so a stage kept by {@code --reuse-stale} does not change the inputs of what reads it. Anything that is not a
     * stage key (a weights digest, a model name) is returned as it is; null stays null.
     */
    public static String upstream(String key) {
        return key != null && STAGE_KEY.matcher(key).matches() ? key.replaceFirst("@[^/]*", "") : key;
    }

    public static boolean done(Path dir, String key) throws IOException {
        if (matches(dir, key)) return true;
        for (Path run : sources) {
            Path there = run.resolve("stages").resolve(dir.getFileName().toString());
            if (!there.normalize().equals(dir.normalize()) && matches(there, key)) {
                copy(there, dir);
                synchronized (COPIED) {
                    COPIED.add(dir.getFileName() + " (from " + run + ")");
                }
                return true;
            }
        }
        return false;
    }

    /** Copies a finished stage folder in whole next to {@code dir}, then moves it into place in one step. */
    private static void copy(Path from, Path dir) throws IOException {
        Path tmp = dir.resolveSibling("." + dir.getFileName() + ".copy-" + System.nanoTime());
        try (var files = java.nio.file.Files.walk(from)) {
            for (Path f : files.toList()) {
                java.nio.file.Files.copy(f, tmp.resolve(from.relativize(f).toString()));
            }
        }
        if (java.nio.file.Files.exists(dir)) { // an unfinished stage of this run: nothing in it is kept
            try (var old = java.nio.file.Files.walk(dir)) {
                for (Path f : old.sorted(java.util.Comparator.reverseOrder()).toList()) java.nio.file.Files.delete(f);
            }
        }
        java.nio.file.Files.move(tmp, dir, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private static boolean matches(Path dir, String key) throws IOException {
        Map<String, Object> m = Manifest.read(dir);
        if (m == null || !(m.get("key") instanceof String have)) return false;
        if (key.equals(have)) return true;
        if (reuseStale && inputs(have).equals(inputs(key))) {
            synchronized (STALE) {
                STALE.add(dir.getFileName() + " (made by owlet " + have.substring(have.indexOf('@') + 1) + ")");
            }
            return true;
        }
        return false;
    }

    private static String inputs(String key) {
        int at = key.indexOf('@');
        return at < 0 ? key : key.substring(0, at);
    }

    /** Keep stages whose inputs match but whose code version differs (see the class comment); clears the list. */
    public static void reuseStale(boolean on) {
        reuseStale = on;
        synchronized (STALE) {
            STALE.clear();
        }
    }

    /** Finished stages may be taken from these run folders (see the class comment); clears the list of copies. */
    public static void reuseFrom(List<Path> runs) {
        sources = List.copyOf(runs);
        synchronized (COPIED) {
            COPIED.clear();
        }
    }

    /**
     * Adds {@code run} to the folders finished stages may be taken from, keeping the others and the list of copies: a
     * run made inside another (a defence's data written again) takes the outer run's stages whose keys match.
     */
    public static void addSource(Path run) {
        synchronized (COPIED) {
            if (!sources.contains(run)) {
                List<Path> more = new ArrayList<>(sources);
                more.add(run);
                sources = List.copyOf(more);
            }
        }
    }

    /** The stages copied from another run folder since {@link #reuseFrom} was last set, each with its source. */
    public static List<String> copied() {
        synchronized (COPIED) {
            return List.copyOf(COPIED);
        }
    }

    /** The stages kept by {@link #reuseStale} since it was last set, each with the code version that made it. */
    public static List<String> staleReused() {
        synchronized (STALE) {
            return List.copyOf(STALE);
        }
    }
}
