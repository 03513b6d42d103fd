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
     * The files of a checkpoint folder besides its weights that decide how text becomes tokens and when generation
     * stops: what a checkpoint {@link #save}d from another must carry over so it reads as the same chat model.
     */
    static final java.util.List<String> TEXT_FILES = java.util.List.of("tokenizer.json", "tokenizer_config.json",
            "chat_template.jinja", "generation_config.json");

    /**
     * Writes {@code model} as a Hugging Face checkpoint folder {@code dir}: {@code model.safetensors} (float32) with
     * every parameter under the name it has in the model, which is the checkpoint's own (GPT-2's with the
     * {@code transformer.} prefix that {@code GPT2LMHeadModel} uses) in the file's layout (GPT-2's Conv1D weights stay
     * (in, out): {@link HfGpt2} computes in that layout, nothing is transposed at load), and {@code config.json}, the
     * tokenizer, its config, the chat template and generation_config.json copied from {@code from}, the folder the
     * model was loaded from. {@link #load} reads it back to the same weights, bit for bit (tested); the names and
     * layout are the ones transformers' {@code from_pretrained} reads, which was not tried here (no Python in the
     * tests). It is how a fully fine-tuned student is kept: a checkpoint like its base, not a diff.
     * The weights are written one tensor at a time and atomically (a kill mid-write leaves no half file).
     */
    public static void save(HfModel model, Path from, Path dir) throws java.io.IOException {
        Files.createDirectories(dir);
        Map<String, long[]> shapes = new LinkedHashMap<>();
        model.parameters().forEach((k, v) -> shapes.put(k, v.getShape().getShape()));
        dev.owlet.provenance.AtomicFiles.write(dir.resolve(HfWeights.SINGLE),
                tmp -> SafeTensors.write(tmp, shapes, k -> model.parameters().get(k).toFloatArray(), Map.of("format", "pt")));
        for (String f : java.util.stream.Stream.concat(java.util.stream.Stream.of(CONFIG), TEXT_FILES.stream()).toList()) {
            Path src = from.resolve(f);
            if (Files.isRegularFile(src)) {
                dev.owlet.provenance.AtomicFiles.write(dir.resolve(f),
                        tmp -> Files.copy(src, tmp, java.nio.file.StandardCopyOption.REPLACE_EXISTING));
            }
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

    /**
     * Where generation stops: config.json's and generation_config.json's eos ids, and {@code tokenizerEnds} (the
     * tokenizer's eos token). Chat models end a turn with a token that only some of these name.
     */
    public static java.util.Set<Integer> endIds(Path dir, HfModel model, java.util.Collection<Integer> tokenizerEnds) {
        java.util.Set<Integer> out = new java.util.LinkedHashSet<>();
        for (int e : model.config().eosIds()) out.add(e);
        Path gen = dir.resolve("generation_config.json");
        if (Files.isRegularFile(gen)) {
            try {
                com.fasterxml.jackson.databind.JsonNode n = new com.fasterxml.jackson.databind.ObjectMapper().readTree(gen.toFile())
                        .path("eos_token_id");
                if (n.isInt()) out.add(n.asInt());
                n.forEach(x -> out.add(x.asInt()));
            } catch (java.io.IOException e) {
                throw new HfCheckpointError(gen + ": not valid JSON (" + e.getMessage() + ")", e);
            }
        }
        out.addAll(tokenizerEnds);
        return out;
    }

    /**
     * SHA-256 over every file that decides what the checkpoint computes and how text becomes tokens: config.json,
     * the weights (each shard), the tokenizer and its config, the chat template and generation_config.json, each
     * by name and content. A stage key that holds it changes when any of them does.
     */
    public static String digest(Path dir) throws java.io.IOException {
        java.util.List<String> names = new java.util.ArrayList<>(java.util.List.of(CONFIG, HfWeights.SINGLE, HfWeights.INDEX));
        names.addAll(TEXT_FILES);
        Path index = dir.resolve(HfWeights.INDEX);
        if (Files.isRegularFile(index)) {
            java.util.TreeSet<String> shards = new java.util.TreeSet<>();
            new com.fasterxml.jackson.databind.ObjectMapper().readTree(index.toFile()).path("weight_map")
                    .forEach(n -> shards.add(n.asText()));
            names.addAll(shards);
        }
        StringBuilder sb = new StringBuilder();
        for (String n : names) {
            Path f = dir.resolve(n);
            if (Files.isRegularFile(f)) sb.append(n).append('=').append(dev.owlet.provenance.Hashing.sha256(f)).append('\n');
        }
        return dev.owlet.provenance.Hashing.sha256(sb.toString());
    }
}
