package dev.owlet.provenance;

import dev.owlet.provenance.StageCache;
import dev.owlet.provenance.Hashing;
import dev.owlet.provenance.Manifest;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Stage skipping keyed on inputs: a stage's key hashes its name, its own config and the keys of what it reads.
 * The code version is part of every key. A stage folder whose manifest carries the same key is complete and
 * reused; any other folder is redone. So a
 * killed run resumes at the stage it was in, and a changed config value reruns exactly what depends on it.
 */
public final class StageCache {
    private StageCache() {}

    public static String key(String stage, Object config, String... inputs) {
        StringBuilder sb = new StringBuilder(stage).append('\n');
        sb.append(dev.owlet.provenance.CodeVersion.get()).append('\n'); // other code, other stage
        sb.append(dev.owlet.experiment.ConfigLoader.toMapOrValue(config)).append('\n');
        for (String i : inputs) sb.append(i).append('\n');
        return Hashing.sha256(sb.toString());
    }

    public static boolean done(Path dir, String key) throws IOException {
        Map<String, Object> m = Manifest.read(dir);
        return m != null && key.equals(m.get("key"));
    }
}
