package dev.owlet.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.norm.LayerNorm;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A GPT-2 style decoder: token + learned position embeddings, pre-LayerNorm blocks with causal multi-head
 * self-attention and a GELU MLP, a final LayerNorm, and an LM head tied to the token embedding.
 *
 * <p>Parameters are plain NDArrays named as in GPT-2 ({@code h.0.attn.c_attn.weight}...), stored in the
 * {@code (out, in)} layout of {@link Linear#linear}. The model owns them through its own manager; every
 * activation of a forward pass belongs to the caller's scope. Weights are initialized in Java from a seed (not
 * by the engine's RNG), so the same seed gives the same weights on any machine.
 *
 * <p>A {@link Lora} attached with {@link #attach} adds its low-rank update to the block projections it targets
 * ({@code h.<l>.attn.c_attn}, {@code attn.c_proj}, {@code mlp.c_fc}, {@code mlp.c_proj}, as PEFT names GPT-2's), which
 * is how a LoRA student of the embedded GPT trains.
 */
public final class Gpt implements Adaptable {
    private static final float LN_EPS = 1e-5f;
    private static final float MASKED = -1e9f;

    private final GptConfig config;
    private final NDManager manager;
    private final Map<String, NDArray> params;
    /** The adapter routed into the block projections, or null (never copied by {@link #copy}). */
    private Lora lora;

    private Gpt(GptConfig config, NDManager manager, Map<String, NDArray> params) {
        this.config = config;
        this.manager = manager;
        this.params = params;
    }

    /**
     * GPT-2 initialization: N(0, 0.02) for weights and embeddings, N(0, 0.02/sqrt(2L)) for the residual
     * projections ({@code c_proj}), zero biases, unit LayerNorm gains.
     */
    public static Gpt initialize(GptConfig c, long seed, NDManager parent) {
        SplittableRandom rng = new SplittableRandom(seed);
        NDManager m = parent.newSubManager();
        Map<String, NDArray> p = new LinkedHashMap<>();
        int d = c.dModel();
        double std = 0.02;
        double projStd = 0.02 / Math.sqrt(2.0 * c.layers());
        p.put("wte", normal(m, rng, std, c.vocabSize(), d));
        p.put("wpe", normal(m, rng, std, c.contextLength(), d));
        for (int l = 0; l < c.layers(); l++) {
            String b = "h." + l + ".";
            p.put(b + "ln_1.weight", m.ones(new Shape(d)));
            p.put(b + "ln_1.bias", m.zeros(new Shape(d)));
            p.put(b + "attn.c_attn.weight", normal(m, rng, std, 3 * d, d));
            p.put(b + "attn.c_attn.bias", m.zeros(new Shape(3 * d)));
            p.put(b + "attn.c_proj.weight", normal(m, rng, projStd, d, d));
            p.put(b + "attn.c_proj.bias", m.zeros(new Shape(d)));
            p.put(b + "ln_2.weight", m.ones(new Shape(d)));
            p.put(b + "ln_2.bias", m.zeros(new Shape(d)));
            p.put(b + "mlp.c_fc.weight", normal(m, rng, std, 4 * d, d));
            p.put(b + "mlp.c_fc.bias", m.zeros(new Shape(4 * d)));
            p.put(b + "mlp.c_proj.weight", normal(m, rng, projStd, d, 4 * d));
            p.put(b + "mlp.c_proj.bias", m.zeros(new Shape(d)));
        }
        p.put("ln_f.weight", m.ones(new Shape(d)));
        p.put("ln_f.bias", m.zeros(new Shape(d)));
        return new Gpt(c, m, p);
    }

    /** Wraps loaded parameters; {@link Checkpoint} checks names and shapes before calling this. */
    static Gpt fromParameters(GptConfig c, NDManager m, Map<String, NDArray> p) {
        return new Gpt(c, m, p);
    }

    /** The expected shape of every parameter, in canonical order. */
    public static Map<String, Shape> expectedShapes(GptConfig c) {
        try (NDManager tmp = NDManager.newBaseManager()) {
            Map<String, Shape> out = new LinkedHashMap<>();
            // Cheap: vocab x d floats at most; keeps a single source of truth for names and shapes.
            initialize(new GptConfig(c.vocabSize(), c.contextLength(), c.layers(), c.dModel(), c.heads(), 0), 0, tmp)
                    .params.forEach((k, v) -> out.put(k, v.getShape()));
            return out;
        }
    }

    private static NDArray normal(NDManager m, SplittableRandom rng, double std, int rows, int cols) {
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (gaussian(rng) * std);
        }
        return m.create(w, new Shape(rows, cols));
    }

    /** Box-Muller from a SplittableRandom: fixed algorithm, so weights do not depend on the JDK's Random. */
    private static double gaussian(SplittableRandom rng) {
        double u1 = rng.nextDouble();
        double u2 = rng.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
    }

    public GptConfig config() { return config; }

    @Override
    public int vocabSize() { return config.vocabSize(); }

    @Override
    public int contextLength() { return config.contextLength(); }

    @Override
    public int layers() { return config.layers(); }

    @Override
    public NDManager manager() { return manager; }

    /** Parameters in canonical order (unmodifiable view; arrays are live). */
    @Override
    public Map<String, NDArray> parameters() { return Collections.unmodifiableMap(params); }

    /**
     * The block projections by PEFT module name ({@code h.0.attn.c_attn}, ...) to {in, out}: what a {@link Lora} may
     * target. The weights are stored (out, in), as {@code nn.Linear} stores them, so a merge adds {@code B A} as it is.
     */
    @Override
    public Map<String, long[]> linearModules() {
        long d = config.dModel();
        Map<String, long[]> out = new LinkedHashMap<>();
        for (int l = 0; l < config.layers(); l++) {
            out.put("h." + l + ".attn.c_attn", new long[] {d, 3 * d});
            out.put("h." + l + ".attn.c_proj", new long[] {d, d});
            out.put("h." + l + ".mlp.c_fc", new long[] {d, 4 * d});
            out.put("h." + l + ".mlp.c_proj", new long[] {4 * d, d});
        }
        return out;
    }

    /**
     * True when {@code name} is a {@code lora.target_modules} entry that matches projections of this model as PEFT
     * matches (the module's name or a dot-separated suffix of it): {@code c_attn}, {@code c_proj} (attention and
     * MLP), {@code c_fc}, {@code attn.c_proj}, ... or a whole name such as {@code h.0.mlp.c_fc}. Checked when an
     * experiment is read, before any model is loaded.
     */
    public static boolean isProjection(String name) {
        return name.matches("((h\\.\\d+\\.)?attn\\.)?(c_attn|c_proj)|((h\\.\\d+\\.)?mlp\\.)?(c_fc|c_proj)");
    }

    @Override
    public void attach(Lora adapter) { this.lora = adapter; }

    @Override
    public String describe() { return "the embedded GPT"; }

    public void setRequiresGradient(boolean on) {
        params.values().forEach(a -> a.setRequiresGradient(on));
    }

    /** A deep copy with its own manager: teachers and students start as copies of a reference. */
    public Gpt copy() {
        NDManager m = manager.getParentManager().newSubManager();
        Map<String, NDArray> p = new LinkedHashMap<>();
        params.forEach((k, v) -> p.put(k, m.create(v.toFloatArray(), v.getShape())));
        return new Gpt(config, m, p);
    }

    /** Forward over a right-padded or unpadded batch with positions 0..T-1 and a causal mask. */
    @Override
    public NDArray forward(NDArray tokens, boolean training) {
        return Linear.linear(hidden(tokens, training), p("wte")).singletonOrThrow();                     // (B, T, V)
    }

    /**
     * The full forward pass.
     *
     * @param tokens (B, T) int64 token ids
     * @param positions (B, T) int64 position ids (left-padded rows start counting at their first real token)
     * @param bias additive attention bias broadcastable to (B, nh, T, S): 0 where a query may attend, -1e9 where
     *     not (causality and padding); S = cached length + T
     * @param cache key/value cache extended in place, or null
     * @return (B, T, V) logits
     */
    @Override
    public NDArray forward(NDArray tokens, NDArray positions, NDArray bias, KvCache cache, boolean training) {
        return Linear.linear(hidden(tokens, positions, bias, cache, training), p("wte")).singletonOrThrow(); // (B, T, V) tied head
    }

    /**
     * The logits a loss reads, and no others: {@link #forward(NDArray, boolean)} at the flat positions {@code at}
     * (index b·T + t) and, when {@code vocab} is given, at those token ids only. A student's loss reads its
     * completion tokens (about half the positions of a row) and, with soft labels, the 20 tokens of the number
     * alphabet (of 479); the tied head and the log-softmax over the rest are work nothing reads.
     *
     * @param tokens (B, T) int64, unpadded or right-padded
     * @param at (N) int64 flat position indices into (B, T)
     * @param vocab (A) int64 token ids, or null for the whole vocabulary
     * @return (N, V) logits, or (N, A) with {@code vocab}
     */
    public NDArray forwardAt(NDArray tokens, NDArray at, NDArray vocab, boolean training) {
        NDArray h = hidden(tokens, training);                                                          // (B, T, d)
        NDArray rows = h.reshape(-1, config.dModel()).get(new ai.djl.ndarray.index.NDIndex("{}", at));           // (N, d)
        NDArray head = p("wte");                                                                       // (V, d)
        if (vocab != null) {
            head = head.get(new ai.djl.ndarray.index.NDIndex("{}", vocab));                            // (A, d)
        }
        return Linear.linear(rows, head).singletonOrThrow();                                           // (N, V|A)
    }

    /** Final hidden states (after {@code ln_f}) of an unpadded or right-padded batch: what linear probes read. */
    public NDArray forwardHidden(NDArray tokens) {
        return hidden(tokens, false);                                                                   // (B, T, d)
    }

    /** Final hidden states of an unpadded or right-padded batch: positions 0..T-1 and a causal mask, no cache. */
    private NDArray hidden(NDArray tokens, boolean training) {
        NDManager m = tokens.getManager();
        long b = tokens.getShape().get(0);
        int t = (int) tokens.getShape().get(1);
        long[] pos = new long[(int) b * t];
        for (int i = 0; i < pos.length; i++) pos[i] = i % t;
        return hidden(tokens, m.create(pos, new Shape(b, t)), causalBias(m, t).reshape(1, 1, t, t), null, training);
    }

    private NDArray hidden(NDArray tokens, NDArray positions, NDArray bias, KvCache cache, boolean training) {
        NDManager m = tokens.getManager();
        int d = config.dModel();
        int nh = config.heads();
        int hs = config.headSize();
        long b = tokens.getShape().get(0);
        long t = tokens.getShape().get(1);
        if (cache != null && cache.length() + t > config.contextLength()) {
            throw new IllegalArgumentException("sequence of " + (cache.length() + t)
                    + " tokens exceeds context_length " + config.contextLength());
        }
        // Long-lived scalar: DJL's PyTorch engine frees a Java number's temporary array at once and backward
        // would read reused memory (wrong gradients), so scalars are arrays that live as long as the graph.
        NDArray scale = m.create(1f / (float) Math.sqrt(hs));
        NDArray x = Embedding.embedding(tokens, p("wte"), SparseFormat.DENSE).singletonOrThrow()   // (B, T, d)
                .add(Embedding.embedding(positions, p("wpe"), SparseFormat.DENSE).singletonOrThrow()); // (B, T, d)
        x = dropout(x, training);
        for (int l = 0; l < config.layers(); l++) {
            String pre = "h." + l + ".";
            // --- causal self-attention on the pre-normed residual ---
            NDArray h = layerNorm(x, pre + "ln_1");                                                     // (B, T, d)
            NDArray qkv = project(h, pre + "attn.c_attn", training);                                    // (B, T, 3d)
            NDList parts = qkv.split(3, 2);
            NDArray q = heads(parts.get(0), b, t, nh, hs);                                              // (B, nh, T, hs)
            NDArray k = heads(parts.get(1), b, t, nh, hs);                                              // (B, nh, T, hs)
            NDArray v = heads(parts.get(2), b, t, nh, hs);                                              // (B, nh, T, hs)
            if (cache != null) {
                NDArray[] kv = cache.append(l, k, v);
                k = kv[0];                                                                              // (B, nh, S, hs)
                v = kv[1];                                                                              // (B, nh, S, hs)
            }
            NDArray att = q.matMul(k.transpose(0, 1, 3, 2)).mul(scale).add(bias);                      // (B, nh, T, S)
            att = dropout(att.softmax(-1), training);
            NDArray y = att.matMul(v)                                                                    // (B, nh, T, hs)
                    .transpose(0, 2, 1, 3).reshape(b, t, d);                                           // (B, T, d)
            y = project(y, pre + "attn.c_proj", training);                                              // (B, T, d)
            x = x.add(dropout(y, training));
            // --- MLP ---
            h = layerNorm(x, pre + "ln_2");
            h = project(h, pre + "mlp.c_fc", training);                                                 // (B, T, 4d)
            h = Activation.gelu(h);
            h = project(h, pre + "mlp.c_proj", training);                                               // (B, T, d)
            x = x.add(dropout(h, training));
        }
        if (cache != null) {
            cache.advance(t);
        }
        return layerNorm(x, "ln_f");                                                                    // (B, T, d)
    }

    /** {@code x W^T + b} for the block projection {@code module}, plus the LoRA update when one targets it. */
    private NDArray project(NDArray x, String module, boolean training) {
        NDArray y = Linear.linear(x, p(module + ".weight"), p(module + ".bias")).singletonOrThrow();      // (.., out)
        return lora == null ? y : lora.addTo(module, x, y, training);
    }

    private NDArray heads(NDArray a, long b, long t, int nh, int hs) {
        return a.reshape(b, t, nh, hs).transpose(0, 2, 1, 3);
    }

    private NDArray layerNorm(NDArray x, String name) {
        return LayerNorm.layerNorm(x, new Shape(config.dModel()), p(name + ".weight"), p(name + ".bias"), LN_EPS)
                .singletonOrThrow();
    }

    private NDArray dropout(NDArray x, boolean training) {
        if (!training || config.dropout() == 0) {
            return x;
        }
        return Dropout.dropout(x, (float) config.dropout(), true).singletonOrThrow();
    }

    private NDArray p(String name) {
        NDArray a = params.get(name);
        if (a == null) {
            throw new IllegalStateException("missing parameter " + name);
        }
        return a;
    }

    /** (T, T) additive causal bias: 0 on and below the diagonal, -1e9 above. */
    public static NDArray causalBias(NDManager m, int t) {
        float[] a = new float[t * t];
        for (int i = 0; i < t; i++) {
            for (int j = i + 1; j < t; j++) {
                a[i * t + j] = MASKED;
            }
        }
        return m.create(a, new Shape(t, t));
    }

    @Override
    public void close() {
        manager.close();
    }
}
