package dev.owlet.provenance;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What made an artifact: the stage, its cache key, resolved config, seed, inputs and outputs with their SHA-256,
 * counts, wall time, and the code and machine. Written last (atomically) by the producer, so a folder with a
 * manifest is complete and a folder without one is not.
 */
public final class Manifest {
    public static final String FILE = "manifest.json";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

    private final Map<String, Object> root = new LinkedHashMap<>();
    private final Map<String, String> inputs = new LinkedHashMap<>();
    private final Map<String, String> outputs = new LinkedHashMap<>();
    private final Map<String, Object> counts = new LinkedHashMap<>();

    public Manifest(String stage, String key, Object config, long seed) {
        root.put("stage", stage);
        root.put("key", key);
        root.put("config", config);
        root.put("seed", seed);
        root.put("inputs", inputs);
        root.put("outputs", outputs);
        root.put("counts", counts);
        root.put("code", Map.of("owlet", CodeVersion.get(), "engine", "DJL 0.36.0 / PyTorch 2.7.1 CPU"));
        root.put("machine", Map.of("java", System.getProperty("java.version"), "os",
                System.getProperty("os.name") + " " + System.getProperty("os.arch"),
                "cores", Runtime.getRuntime().availableProcessors()));
    }

    public Manifest input(String name, String sha256) {
        inputs.put(name, sha256);
        return this;
    }

    public Manifest output(String name, Path file) throws IOException {
        outputs.put(name, Hashing.sha256(file));
        return this;
    }

    public Manifest count(String name, Object value) {
        counts.put(name, value);
        return this;
    }

    public Manifest put(String key, Object value) {
        root.put(key, value);
        return this;
    }

    /** Writes {@code dir/manifest.json} with the wall time and completion instant. */
    public void write(Path dir, long wallNanos) throws IOException {
        root.put("wall_seconds", wallNanos / 1e9);
        root.put("finished", Instant.now().toString());
        AtomicFiles.writeBytes(dir.resolve(FILE), JSON.writeValueAsBytes(root));
    }

    @SuppressWarnings("unchecked")
    public static Map<String, Object> read(Path dir) throws IOException {
        Path f = dir.resolve(FILE);
        return Files.isRegularFile(f) ? JSON.readValue(f.toFile(), Map.class) : null;
    }
}
