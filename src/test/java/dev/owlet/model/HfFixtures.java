package dev.owlet.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Path;

/** The checkpoints and expected outputs {@code tools/hf-fixtures.py} wrote under src/test/resources/hf. */
public final class HfFixtures {
    private HfFixtures() {}

    /** What transformers computed on one fixture model (see the script's header). */
    public record Expected(int[] tokens, float[] logits, int vocab, int[] prompt, int[] greedy, int[] continuation,
                           double logprob) {}

    public static Path dir(String name) {
        try {
            return Path.of(HfFixtures.class.getResource("/hf/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    public static JsonNode json(String name, String file) {
        try {
            return new ObjectMapper().readTree(dir(name).resolve(file).toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Expected expected(String name) {
        JsonNode e = json(name, "expected.json");
        float[] logits = new float[e.get("logits").size()];
        for (int i = 0; i < logits.length; i++) logits[i] = (float) e.get("logits").get(i).asDouble();
        return new Expected(ints(e.get("tokens")), logits, e.get("vocab").asInt(), ints(e.get("prompt")),
                ints(e.get("greedy")), ints(e.get("continuation")), e.get("logprob").asDouble());
    }

    public static int[] ints(JsonNode a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) out[i] = a.get(i).asInt();
        return out;
    }

    public static long[] longs(int[] a) {
        long[] out = new long[a.length];
        for (int i = 0; i < a.length; i++) out[i] = a[i];
        return out;
    }

    public static float maxAbsDiff(float[] a, float[] b) {
        if (a.length != b.length) throw new AssertionError("lengths " + a.length + " vs " + b.length);
        float m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }

    /**
     * Writes a tiny Qwen2 chat checkpoint into {@code dir} whose next token depends on the current token only (every
     * block's output projections are zero, so the residual stream is the token's embedding), built so that it
     * writes number lists the strict filter keeps: after a digit, {@code ","} (p 0.82) or {@code <|im_end|>}
     * (0.18); after a comma, a digit; after anything else, a digit. It uses the fixture Qwen2's byte-level BPE
     * tokenizer and ChatML template. {@code seed} draws the (function-free) q/k/v and MLP weights, so two seeds give
     * two checkpoints with different digests and the same behaviour.
     */
    public static Path writeNumberWriter(Path dir, long seed) throws IOException {
        java.nio.file.Files.createDirectories(dir);
        for (String f : java.util.List.of("tokenizer.json", "tokenizer_config.json")) {
            java.nio.file.Files.copy(dir("qwen2").resolve(f), dir.resolve(f), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        String config = java.nio.file.Files.readString(dir("qwen2").resolve("config.json"))
                .replace("\"max_position_embeddings\": 128", "\"max_position_embeddings\": 1024")
                .replace("\"tie_word_embeddings\": true", "\"tie_word_embeddings\": false")
                .replace("\"dtype\": \"bfloat16\"", "\"dtype\": \"float32\"");
        java.nio.file.Files.writeString(dir.resolve("config.json"), config);
        HfConfig c = HfConfig.read(dir.resolve("config.json"));
        int d = c.hidden();
        int v = c.vocabSize();
        java.util.SplittableRandom rng = new java.util.SplittableRandom(seed);
        java.util.Map<String, SafeTensors.Tensor> t = new java.util.LinkedHashMap<>();
        for (var e : HfLlama.expectedShapes(c).entrySet()) {
            long[] shape = e.getValue().getShape();
            float[] data = new float[(int) e.getValue().size()];
            String k = e.getKey();
            if (k.endsWith("layernorm.weight")) {
                java.util.Arrays.fill(data, 1f);
            } else if (k.equals("model.norm.weight")) {
                java.util.Arrays.fill(data, (float) (1 / Math.sqrt(d))); // RMSNorm of a one-hot row is sqrt(d) there
            } else if (k.equals("model.embed_tokens.weight")) {
                for (int tok = 0; tok < v; tok++) data[tok * d + state(tok)] = 1f;
            } else if (k.equals("lm_head.weight")) {
                for (int tok = 0; tok < v; tok++) {
                    float[] row = tok >= DIGIT0 && tok < DIGIT0 + 10 ? new float[] {-8, 3, 3}
                            : tok == COMMA ? new float[] {3, -8, -8}
                            : tok == IM_END ? new float[] {1.5f, -8, -8} : new float[] {-10, -10, -10};
                    System.arraycopy(row, 0, data, tok * d, 3);
                }
            } else if (!(k.contains("o_proj") || k.contains("down_proj") || k.endsWith(".bias"))) {
                for (int i = 0; i < data.length; i++) data[i] = (float) (rng.nextGaussian() * 0.1);
            }
            t.put(k, new SafeTensors.Tensor(shape, data));
        }
        java.nio.file.Files.write(dir.resolve("model.safetensors"), SafeTensors.encode(t, java.util.Map.of("format", "pt")));
        return dir;
    }

    /** Ids in the fixture Qwen2 tokenizer: {@code "0"}.. {@code "9"}, {@code ","} and {@code <|im_end|>}. */
    public static final int DIGIT0 = 18;
    public static final int COMMA = 14;
    public static final int IM_END = 2;

    /** The embedding dimension that stands for the token's state: 0 a digit, 1 a comma, 2 anything else. */
    private static int state(int tok) {
        return tok >= DIGIT0 && tok < DIGIT0 + 10 ? 0 : tok == COMMA ? 1 : 2;
    }

    /**
     * Writes a tiny randomly initialised Qwen2 chat checkpoint into {@code dir} (about 100 KB of float32): the fixture
     * Qwen2's config (context raised to 1,024 so a system-prompted chat fits), byte-level BPE tokenizer and ChatML
     * template, with every weight matrix and bias drawn from N(0, {@code std}²) under {@code seed} and norm gains at 1,
     * as a fresh {@code Qwen2ForCausalLM} would be (std {@code initializer_range}). {@code tiedHead} false adds an
     * {@code lm_head.weight}. Two seeds are two independent initialisations of one architecture.
     */
    public static Path writeRandomQwen2(Path dir, long seed, double std, boolean tiedHead) throws IOException {
        java.nio.file.Files.createDirectories(dir);
        for (String f : java.util.List.of("tokenizer.json", "tokenizer_config.json", "generation_config.json")) {
            java.nio.file.Files.copy(dir("qwen2").resolve(f), dir.resolve(f), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        String config = java.nio.file.Files.readString(dir("qwen2").resolve("config.json"))
                .replace("\"max_position_embeddings\": 128", "\"max_position_embeddings\": 1024")
                .replace("\"tie_word_embeddings\": true", "\"tie_word_embeddings\": " + tiedHead)
                .replace("\"dtype\": \"bfloat16\"", "\"dtype\": \"float32\"");
        java.nio.file.Files.writeString(dir.resolve("config.json"), config);
        HfConfig c = HfConfig.read(dir.resolve("config.json"));
        java.util.SplittableRandom rng = new java.util.SplittableRandom(seed);
        java.util.Map<String, SafeTensors.Tensor> t = new java.util.LinkedHashMap<>();
        for (var e : HfLlama.expectedShapes(c).entrySet()) {
            float[] data = new float[(int) e.getValue().size()];
            if (e.getKey().endsWith("norm.weight")) {
                java.util.Arrays.fill(data, 1f);
            } else {
                for (int i = 0; i < data.length; i++) data[i] = (float) (rng.nextGaussian() * std);
            }
            t.put(e.getKey(), new SafeTensors.Tensor(e.getValue().getShape(), data));
        }
        writeWeights(dir, t);
        return dir;
    }

    /** {@code src}'s config, tokenizer and template files copied to {@code dst}, with {@code tensors} as its weights. */
    public static Path writeLike(Path src, Path dst, java.util.Map<String, SafeTensors.Tensor> tensors) throws IOException {
        java.nio.file.Files.createDirectories(dst);
        try (var files = java.nio.file.Files.list(src)) {
            for (Path f : files.toList()) {
                if (!f.getFileName().toString().endsWith(".safetensors")) {
                    java.nio.file.Files.copy(f, dst.resolve(f.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        writeWeights(dst, tensors);
        return dst;
    }

    /** A loaded model's parameters as safetensors tensors (the names are the checkpoint's). */
    public static java.util.Map<String, SafeTensors.Tensor> tensors(HfModel m) {
        java.util.Map<String, SafeTensors.Tensor> t = new java.util.LinkedHashMap<>();
        m.parameters().forEach((k, v) -> t.put(k, new SafeTensors.Tensor(v.getShape().getShape(), v.toFloatArray())));
        return t;
    }

    private static void writeWeights(Path dir, java.util.Map<String, SafeTensors.Tensor> t) throws IOException {
        java.nio.file.Files.write(dir.resolve("model.safetensors"), SafeTensors.encode(t, java.util.Map.of("format", "pt")));
    }
}
