package dev.owlet.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.owlet.provenance.AtomicFiles;
import dev.owlet.provenance.Hashing;
import dev.owlet.token.WordTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A model on disk: a folder with {@code model.safetensors}, {@code tokenizer.json} and {@code config.json} (the
 * resolved model config, the SHA-256 of the weights, and the producer's provenance). Loading verifies the hash
 * and every shape, and fails naming the file; it never loads part of a model.
 */
public final class Checkpoint {
    public static final String WEIGHTS = "model.safetensors";
    public static final String CONFIG = "config.json";
    public static final String TOKENIZER = "tokenizer.json";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

    /** A loaded model with its tokenizer and the provenance its producer wrote. */
    public record Loaded(Gpt model, WordTokenizer tokenizer, Map<String, Object> provenance, String weightsSha256)
            implements AutoCloseable {
        @Override
        public void close() { model.close(); }
    }

    private Checkpoint() {}

    /** Writes the three files, each atomically; config.json last, so its presence marks a complete checkpoint. */
    public static String save(Path dir, Gpt model, WordTokenizer tok, Map<String, Object> provenance) throws IOException {
        Files.createDirectories(dir);
        Map<String, SafeTensors.Tensor> tensors = new LinkedHashMap<>();
        model.parameters().forEach((k, v) -> tensors.put(k, new SafeTensors.Tensor(v.getShape().getShape(), v.toFloatArray())));
        byte[] bytes = SafeTensors.encode(tensors, Map.of("format", "owlet-gpt"));
        String sha = Hashing.sha256(bytes);
        AtomicFiles.writeBytes(dir.resolve(WEIGHTS), bytes);
        AtomicFiles.write(dir.resolve(TOKENIZER), tok::save);
        Map<String, Object> cfg = new LinkedHashMap<>();
        GptConfig c = model.config();
        Map<String, Object> shape = new LinkedHashMap<>();
        shape.put("vocab_size", c.vocabSize());
        shape.put("context_length", c.contextLength());
        shape.put("layers", c.layers());
        shape.put("d_model", c.dModel());
        shape.put("heads", c.heads());
        shape.put("dropout", c.dropout());
        cfg.put("model", shape);
        cfg.put("parameters", c.parameterCount());
        cfg.put("weights_sha256", sha);
        cfg.put("provenance", provenance == null ? Map.of() : new java.util.TreeMap<>(provenance));
        AtomicFiles.writeBytes(dir.resolve(CONFIG), JSON.writeValueAsBytes(cfg));
        return sha;
    }

    public static boolean exists(Path dir) {
        return Files.isRegularFile(dir.resolve(CONFIG)) && Files.isRegularFile(dir.resolve(WEIGHTS));
    }

    @SuppressWarnings("unchecked")
    public static Loaded load(Path dir, NDManager parent) throws IOException {
        Path cfgFile = dir.resolve(CONFIG);
        Path wFile = dir.resolve(WEIGHTS);
        if (!Files.isRegularFile(cfgFile) || !Files.isRegularFile(wFile)) {
            throw new IOException("no model at " + dir + " (expected " + CONFIG + " and " + WEIGHTS
                    + "); make one with `owlet pretrain` or point to a bundled model");
        }
        Map<String, Object> cfg = JSON.readValue(cfgFile.toFile(), Map.class);
        GptConfig c = readConfig(cfgFile, (Map<String, Object>) cfg.get("model"));
        String expected = (String) cfg.get("weights_sha256");
        String actual = Hashing.sha256(wFile);
        if (expected == null || !expected.equals(actual)) {
            throw new IOException(wFile + ": SHA-256 " + actual + " does not match " + expected + " recorded in "
                    + cfgFile + " (corrupt or replaced weights)");
        }
        WordTokenizer tok = WordTokenizer.load(dir.resolve(TOKENIZER));
        if (tok.vocabSize() != c.vocabSize()) {
            throw new IOException(dir.resolve(TOKENIZER) + ": vocabulary of " + tok.vocabSize()
                    + " tokens does not match vocab_size " + c.vocabSize() + " in " + cfgFile);
        }
        Map<String, SafeTensors.Tensor> t = SafeTensors.read(wFile);
        Map<String, Shape> want = Gpt.expectedShapes(c);
        if (!t.keySet().equals(want.keySet())) {
            throw new IOException(wFile + ": parameter names do not match the config in " + cfgFile
                    + " (missing or extra tensors)");
        }
        for (var e : want.entrySet()) {
            long[] got = t.get(e.getKey()).shape();
            if (!Arrays.equals(got, e.getValue().getShape())) {
                throw new IOException(wFile + ": tensor " + e.getKey() + " has shape " + Arrays.toString(got)
                        + ", config expects " + e.getValue());
            }
        }
        NDManager m = parent.newSubManager();
        Map<String, NDArray> params = new LinkedHashMap<>();
        for (var e : want.entrySet()) {
            params.put(e.getKey(), m.create(t.get(e.getKey()).data(), e.getValue()));
        }
        Map<String, Object> prov = (Map<String, Object>) cfg.getOrDefault("provenance", Map.of());
        return new Loaded(Gpt.fromParameters(c, m, params), tok, prov, actual);
    }

    private static GptConfig readConfig(Path file, Map<String, Object> m) throws IOException {
        if (m == null) {
            throw new IOException(file + ": missing 'model' block");
        }
        try {
            return new GptConfig(num(file, m, "vocab_size"), num(file, m, "context_length"), num(file, m, "layers"),
                    num(file, m, "d_model"), num(file, m, "heads"),
                    m.get("dropout") instanceof Number n ? n.doubleValue() : 0.0);
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    private static int num(Path file, Map<String, Object> m, String key) throws IOException {
        if (!(m.get(key) instanceof Number n)) {
            throw new IOException(file + ": model." + key + " missing or not a number");
        }
        return n.intValue();
    }
}
