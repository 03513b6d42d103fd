package dev.owlet.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Loads a local Hugging Face checkpoint folder ({@code config.json} and {@code model.safetensors} or a sharded
 * {@code model.safetensors.index.json}) as a {@link HfModel}. Every tensor the architecture needs must be there
 * with its exact shape and no other tensor may be: a checkpoint owlet would half-read (an extra bias it does not
 * apply, a missing one it would treat as zero) fails at load naming the file and tensor, not later as wrong text.
 */
public final class HfCheckpoint {
    public static final String CONFIG = "config.json";

    private HfCheckpoint() {}

    /** True when {@code dir} looks like a Hugging Face checkpoint (has a config.json that names an architecture). */
    public static boolean looksLike(Path dir) {
        return Files.isRegularFile(dir.resolve(CONFIG))
                && (Files.isRegularFile(dir.resolve(HfWeights.SINGLE)) || Files.isRegularFile(dir.resolve(HfWeights.INDEX)));
    }

    /** Reads the model in {@code dir}; its parameters live in a sub-manager of {@code parent}. */
    public static HfModel load(Path dir, NDManager parent) {
        if (!Files.isDirectory(dir)) throw new HfCheckpointError("no checkpoint folder at " + dir);
        HfConfig c = HfConfig.read(dir.resolve(CONFIG));
        NDManager m = parent.newSubManager();
        try {
            Map<String, NDArray> raw = HfWeights.read(dir, m);
            Map<String, NDArray> p = canonical(c, raw);
            check(dir, c, p);
            return c.architecture() == HfConfig.Architecture.GPT2 ? new HfGpt2(c, m, p) : new HfLlama(c, m, p);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /**
     * The checkpoint's names as the HF model class names its state: GPT-2 files saved from {@code GPT2Model}
     * (the original OpenAI upload) lack the {@code transformer.} prefix; buffers that older transformers saved
     * (GPT-2's causal-mask {@code attn.bias}, Llama's {@code rotary_emb.inv_freq}) are recomputed, not read; a
     * tied head saved anyway is the embedding and is dropped.
     */
    private static Map<String, NDArray> canonical(HfConfig c, Map<String, NDArray> raw) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        boolean gpt2 = c.architecture() == HfConfig.Architecture.GPT2;
        for (var e : raw.entrySet()) {
            String k = e.getKey();
            if (gpt2 && (k.endsWith(".attn.bias") || k.endsWith(".attn.masked_bias"))) continue;
            if (!gpt2 && k.endsWith("rotary_emb.inv_freq")) continue;
            if (c.tiedHead() && k.equals("lm_head.weight")) continue;
            if (gpt2 && !k.startsWith("transformer.") && !k.equals("lm_head.weight")) k = "transformer." + k;
            out.put(k, e.getValue());
        }
        return out;
    }

    private static void check(Path dir, HfConfig c, Map<String, NDArray> p) {
        Map<String, Shape> want = c.architecture() == HfConfig.Architecture.GPT2
                ? HfGpt2.expectedShapes(c) : HfLlama.expectedShapes(c);
        for (var e : want.entrySet()) {
            NDArray a = p.get(e.getKey());
            if (a == null) {
                throw new HfCheckpointError(dir + ": missing tensor " + e.getKey() + " (" + c.architecture()
                        + " with this config.json needs it)");
            }
            if (!a.getShape().equals(e.getValue())) {
                throw new HfCheckpointError(dir + ": tensor " + e.getKey() + " has shape " + a.getShape()
                        + ", config.json implies " + e.getValue());
            }
        }
        for (String k : p.keySet()) {
            if (!want.containsKey(k)) {
                throw new HfCheckpointError(dir + ": unsupported key " + k + " (not part of " + c.architecture()
                        + " as owlet implements it for this config.json)");
            }
        }
    }
}
