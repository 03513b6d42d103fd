package dev.owlet.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.owlet.provenance.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Pattern;

/**
 * A LoRA adapter (Hu et al. 2021) in PEFT's layout: for each targeted projection {@code W} (in -> out), a down
 * matrix {@code A} (r, in) and an up matrix {@code B} (out, r), and the projection becomes
 * {@code W x + (alpha / r) B A dropout(x)}. The base model's weights are never touched; training updates A and B
 * only. On disk it is what {@code peft}'s {@code save_pretrained} writes and {@code PeftModel.from_pretrained}
 * reads: {@code adapter_config.json} and {@code adapter_model.safetensors} with keys
 * {@code base_model.model.<module>.lora_A.weight}.
 *
 * <p>Which modules are targeted follows PEFT: a list of names matches a module whose name is one of them or ends
 * with {@code "." + name}; a single string is a regular expression the whole module name must match;
 * {@code "all-linear"} is every projection (never the LM head).
 */
public final class Lora implements AutoCloseable {
    public static final String CONFIG = "adapter_config.json";
    public static final String WEIGHTS = "adapter_model.safetensors";
    private static final String PREFIX = "base_model.model.";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * @param rank r
     * @param alpha lora_alpha; the update is scaled by alpha / r (alpha / sqrt(r) with rsLoRA)
     * @param targetModules module names (suffix match), or null when {@code targetRegex} is used
     * @param targetRegex a regular expression a module name must match whole, or null
     * @param dropout dropout on the adapter's input during training
     * @param rslora rank-stabilised scaling
     */
    public record Config(int rank, double alpha, List<String> targetModules, String targetRegex, double dropout,
                         boolean rslora) {
        public Config {
            if (rank <= 0) throw new IllegalArgumentException("r must be positive, got " + rank);
            if (dropout < 0 || dropout >= 1) throw new IllegalArgumentException("lora_dropout must be in [0, 1), got " + dropout);
            if ((targetModules == null) == (targetRegex == null)) {
                throw new IllegalArgumentException("target_modules: give a list of names or one regular expression");
            }
            targetModules = targetModules == null ? null : List.copyOf(targetModules);
        }

        public static Config of(int rank, double alpha, List<String> targets, double dropout) {
            return new Config(rank, alpha, targets, null, dropout, false);
        }

        public double scaling() { return rslora ? alpha / Math.sqrt(rank) : alpha / rank; }

        /** PEFT's check_target_module_exists, for the cases owlet supports. */
        boolean targets(String module) {
            if (targetRegex != null) {
                return targetRegex.equals("all-linear") || Pattern.compile(targetRegex).matcher(module).matches();
            }
            for (String t : targetModules) {
                if (module.equals(t) || module.endsWith("." + t)) return true;
            }
            return false;
        }
    }

    private final Config config;
    private final NDManager manager;
    /** PEFT key to array: {@code base_model.model.<module>.lora_A.weight} (r, in) and {@code ...lora_B.weight} (out, r). */
    private final Map<String, NDArray> params;
    private final NDArray scaling;
    private SplittableRandom dropoutRng = new SplittableRandom(0);

    private Lora(Config config, NDManager manager, Map<String, NDArray> params) {
        this.config = config;
        this.manager = manager;
        this.params = params;
        this.scaling = manager.create((float) config.scaling()); // an array, never a Java number, next to gradients
    }

    /**
     * A fresh adapter for {@code model}, initialised as PEFT does: A uniform in +-1/sqrt(in) (kaiming_uniform with
     * a = sqrt(5)), B zero, so the adapted model starts exactly at the base model. Drawn in Java from {@code seed}.
     */
    public static Lora create(Adaptable model, Config cfg, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        NDManager m = model.manager().getParentManager().newSubManager();
        Map<String, NDArray> p = new LinkedHashMap<>();
        for (var e : targeted(model, cfg).entrySet()) {
            long in = e.getValue()[0];
            long out = e.getValue()[1];
            float[] a = new float[(int) (cfg.rank() * in)];
            double bound = 1 / Math.sqrt(in);
            for (int i = 0; i < a.length; i++) a[i] = (float) ((2 * rng.nextDouble() - 1) * bound);
            p.put(PREFIX + e.getKey() + ".lora_A.weight", m.create(a, new Shape(cfg.rank(), in)));
            p.put(PREFIX + e.getKey() + ".lora_B.weight", m.zeros(new Shape(out, cfg.rank())));
        }
        return new Lora(cfg, m, p);
    }

    private static Map<String, long[]> targeted(Adaptable model, Config cfg) {
        Map<String, long[]> out = new LinkedHashMap<>();
        model.linearModules().forEach((k, v) -> {
            if (cfg.targets(k)) out.put(k, v);
        });
        if (out.isEmpty()) {
            String msg = "target_modules " + (cfg.targetModules() != null ? cfg.targetModules() : cfg.targetRegex())
                    + " match no projection of " + model.describe() + " (its projections end in "
                    + model.linearModules().keySet().stream().map(s -> s.substring(s.lastIndexOf('.') + 1)).distinct().toList() + ")";
            throw model instanceof HfModel ? new HfCheckpointError(msg) : new IllegalArgumentException(msg);
        }
        return out;
    }

    /** Reads a PEFT LoRA adapter folder for {@code model}, checking that its keys and shapes fit the model. */
    public static Lora load(Path dir, HfModel model) {
        Path cfgFile = dir.resolve(CONFIG);
        if (!Files.isRegularFile(cfgFile)) throw new HfCheckpointError("no " + CONFIG + " in " + dir + ": not a PEFT adapter folder");
        Config cfg = readConfig(cfgFile);
        Path wFile = dir.resolve(WEIGHTS);
        if (!Files.isRegularFile(wFile)) throw new HfCheckpointError("no " + WEIGHTS + " in " + dir);
        Map<String, long[]> targeted = targeted(model, cfg);
        NDManager m = model.manager().getParentManager().newSubManager();
        try {
            Map<String, NDArray> raw = new LinkedHashMap<>();
            HfWeights.readFileInto(wFile, m, raw);
            Map<String, NDArray> p = new LinkedHashMap<>();
            for (var e : targeted.entrySet()) {
                long in = e.getValue()[0];
                long out = e.getValue()[1];
                take(wFile, raw, p, PREFIX + e.getKey() + ".lora_A", new Shape(cfg.rank(), in));
                take(wFile, raw, p, PREFIX + e.getKey() + ".lora_B", new Shape(out, cfg.rank()));
            }
            if (!raw.isEmpty()) {
                throw new HfCheckpointError(wFile + ": unsupported key " + raw.keySet().iterator().next()
                        + " (not a lora_A/lora_B of a module its adapter_config.json targets)");
            }
            return new Lora(cfg, m, p);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /** Moves one matrix from {@code raw} to {@code p}; PEFT saves {@code .lora_A.weight} (older: {@code .lora_A.default.weight}). */
    private static void take(Path file, Map<String, NDArray> raw, Map<String, NDArray> p, String stem, Shape shape) {
        String key = stem + ".weight";
        NDArray a = raw.remove(key);
        if (a == null) a = raw.remove(stem + ".default.weight");
        if (a == null) throw new HfCheckpointError(file + ": missing tensor " + key);
        if (!a.getShape().equals(shape)) {
            throw new HfCheckpointError(file + ": tensor " + key + " has shape " + a.getShape() + ", expected " + shape);
        }
        p.put(key, a);
    }

    /** adapter_config.json, refusing every PEFT option that would change the computation and that owlet does not apply. */
    static Config readConfig(Path file) {
        JsonNode c;
        try {
            c = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new HfCheckpointError(file + ": not valid JSON (" + e.getMessage() + ")", e);
        }
        String type = c.path("peft_type").asText("");
        if (!type.equals("LORA")) throw new HfCheckpointError(file + ": unsupported peft_type \"" + type + "\" (owlet reads LORA)");
        for (String k : List.of("use_dora", "lora_bias", "use_qalora", "use_bdlora")) {
            if (c.path(k).asBoolean(false)) throw new HfCheckpointError(file + ": unsupported " + k + " true");
        }
        String bias = c.path("bias").asText("none");
        if (!bias.equals("none")) throw new HfCheckpointError(file + ": unsupported bias \"" + bias + "\" (owlet reads \"none\")");
        for (String k : List.of("rank_pattern", "alpha_pattern", "modules_to_save", "layers_to_transform", "layer_replication",
                "exclude_modules", "target_parameters", "trainable_token_indices", "alora_invocation_tokens")) {
            JsonNode n = c.path(k);
            if (!(n.isMissingNode() || n.isNull() || (n.isContainerNode() && n.isEmpty()))) {
                throw new HfCheckpointError(file + ": unsupported " + k + " " + n + " (owlet reads adapters without it)");
            }
        }
        if (!c.path("r").canConvertToInt()) throw new HfCheckpointError(file + ": r must be a positive integer");
        JsonNode t = c.path("target_modules");
        List<String> targets = null;
        String regex = null;
        if (t.isArray()) {
            targets = new ArrayList<>();
            for (JsonNode n : t) targets.add(n.asText());
        } else if (t.isTextual()) {
            regex = t.asText();
        } else {
            throw new HfCheckpointError(file + ": target_modules must be a list or a string, got " + t);
        }
        try {
            return new Config(c.path("r").asInt(), c.path("lora_alpha").asDouble(8), targets, regex,
                    c.path("lora_dropout").asDouble(0), c.path("use_rslora").asBoolean(false));
        } catch (IllegalArgumentException e) {
            throw new HfCheckpointError(file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Writes the adapter as PEFT does; {@code baseModel} goes to {@code base_model_name_or_path} (a path relative
     * to {@code dir} or a hub name, for whoever loads it in peft). Both files are written atomically.
     */
    public void save(Path dir, String baseModel) throws IOException {
        Files.createDirectories(dir);
        Map<String, SafeTensors.Tensor> t = new LinkedHashMap<>();
        params.forEach((k, v) -> t.put(k, new SafeTensors.Tensor(v.getShape().getShape(), v.toFloatArray())));
        AtomicFiles.writeBytes(dir.resolve(WEIGHTS), SafeTensors.encode(t, Map.of("format", "pt")));
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("peft_type", "LORA");
        c.put("task_type", "CAUSAL_LM");
        c.put("base_model_name_or_path", baseModel);
        c.put("r", config.rank());
        c.put("lora_alpha", config.alpha() == Math.rint(config.alpha()) ? (Object) (long) config.alpha() : config.alpha()); // PEFT types it int
        c.put("lora_dropout", config.dropout());
        c.put("target_modules", config.targetModules() != null ? config.targetModules() : config.targetRegex());
        c.put("use_rslora", config.rslora());
        c.put("bias", "none");
        c.put("fan_in_fan_out", params.keySet().stream().anyMatch(k -> k.startsWith(PREFIX + "transformer.h."))); // GPT-2's Conv1D
        c.put("init_lora_weights", true);
        c.put("inference_mode", true);
        c.put("use_dora", false);
        c.put("modules_to_save", null);
        AtomicFiles.writeBytes(dir.resolve(CONFIG), JSON.writeValueAsBytes(c));
    }

    public Config config() { return config; }

    /**
     * Seeds the dropout masks. They are drawn in Java, not by the engine's global RNG, so a LoRA fine-tune with
     * dropout is bit-reproducible from its seed, as owlet's other training is.
     */
    public void seedDropout(long seed) { dropoutRng = new SplittableRandom(seed); }

    public NDManager manager() { return manager; }

    /** The adapter's matrices by PEFT key (live arrays): what training updates. */
    public Map<String, NDArray> parameters() { return Collections.unmodifiableMap(params); }

    /**
     * Folds the adapter into {@code model}'s weights in place: each targeted projection's weight becomes
     * {@code W + scaling * B A} (transposed for GPT-2's Conv1D, which stores (in, out)), what PEFT's
     * {@code merge_and_unload} does. The merged model, with nothing attached, computes what the base model with this
     * adapter attached computes, up to float rounding; it is how an adapter is exported as a plain checkpoint and
     * served without the adapter's extra matmuls, and how an embedded GPT's LoRA student becomes a plain checkpoint that
     * every evaluation reads like any other student. The base weights are changed: load a fresh copy to get them back.
     */
    public void mergeInto(Adaptable model) {
        boolean conv1d = model instanceof HfModel h && h.config().architecture() == HfConfig.Architecture.GPT2;
        for (var e : params.entrySet()) {
            String k = e.getKey();
            if (!k.endsWith(".lora_A.weight")) continue;
            String module = k.substring(PREFIX.length(), k.length() - ".lora_A.weight".length());
            NDArray w = model.parameters().get(module + ".weight");
            if (w == null) throw new HfCheckpointError("no weight " + module + ".weight in the model to merge " + k + " into");
            NDArray b = params.get(PREFIX + module + ".lora_B.weight");
            try (ai.djl.ndarray.NDScope scope = new ai.djl.ndarray.NDScope()) {               // frees delta
                NDArray delta = b.matMul(e.getValue()).mul(scaling);                                  // (out, in)
                w.addi(conv1d ? delta.transpose() : delta);                                           // W's layout
            }
        }
    }

    /**
     * {@code y + scaling * B A dropout(x)} when this adapter targets {@code module}, else {@code y}.
     *
     * @param x (.., in) the projection's input
     * @param y (.., out) the base projection's output
     */
    NDArray addTo(String module, NDArray x, NDArray y, boolean training) {
        NDArray a = params.get(PREFIX + module + ".lora_A.weight");
        if (a == null) return y;
        NDArray b = params.get(PREFIX + module + ".lora_B.weight");
        NDArray in = training && config.dropout() > 0 ? x.mul(dropoutMask(x)) : x;
        NDArray down = Linear.linear(in, a).singletonOrThrow();                                        // (.., r)
        return y.add(Linear.linear(down, b).singletonOrThrow().mul(scaling));                          // (.., out)
    }

    /** Inverted dropout: each entry kept with probability 1 - p and scaled by 1 / (1 - p), as nn.Dropout does. */
    private NDArray dropoutMask(NDArray x) {
        float keep = (float) (1 - config.dropout());
        float[] mask = new float[Math.toIntExact(x.size())];
        for (int i = 0; i < mask.length; i++) mask[i] = dropoutRng.nextDouble() < keep ? 1f / keep : 0f;
        return x.getManager().create(mask, x.getShape());
    }

    @Override
    public void close() { manager.close(); }
}
