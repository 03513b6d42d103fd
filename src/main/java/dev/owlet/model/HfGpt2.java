package dev.owlet.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Hugging Face's {@code GPT2LMHeadModel}, read from its checkpoint: learned position embeddings, pre-LayerNorm
 * blocks, causal multi-head attention, a {@code gelu_new} MLP and an LM head tied to the token embedding.
 *
 * <p>Parameters keep the checkpoint's names ({@code transformer.h.0.attn.c_attn.weight}...) and its {@code Conv1D}
 * layout: weights are (in, out) and a projection is {@code x W + b}, as HF's Conv1D computes it (owlet's own
 * {@link Gpt} stores the transposed, {@code nn.Linear} layout). Inference only: no dropout. A {@link Lora}
 * attached with {@link #attach} adds its low-rank update to the projections it targets.
 */
public final class HfGpt2 implements HfModel {
    private final HfConfig config;
    private final NDManager manager;
    private final Map<String, NDArray> params;
    private Lora lora;

    HfGpt2(HfConfig config, NDManager manager, Map<String, NDArray> params) {
        this.config = config;
        this.manager = manager;
        this.params = params;
    }

    /** Every tensor a checkpoint must hold, with its shape in the file's layout (Conv1D: (in, out)). */
    static Map<String, Shape> expectedShapes(HfConfig c) {
        int d = c.hidden();
        int f = c.intermediate();
        Map<String, Shape> s = new LinkedHashMap<>();
        s.put("transformer.wte.weight", new Shape(c.vocabSize(), d));
        s.put("transformer.wpe.weight", new Shape(c.maxPositions(), d));
        for (int l = 0; l < c.layers(); l++) {
            String b = "transformer.h." + l + ".";
            s.put(b + "ln_1.weight", new Shape(d));
            s.put(b + "ln_1.bias", new Shape(d));
            s.put(b + "attn.c_attn.weight", new Shape(d, 3 * d));
            s.put(b + "attn.c_attn.bias", new Shape(3 * d));
            s.put(b + "attn.c_proj.weight", new Shape(d, d));
            s.put(b + "attn.c_proj.bias", new Shape(d));
            s.put(b + "ln_2.weight", new Shape(d));
            s.put(b + "ln_2.bias", new Shape(d));
            s.put(b + "mlp.c_fc.weight", new Shape(d, f));
            s.put(b + "mlp.c_fc.bias", new Shape(f));
            s.put(b + "mlp.c_proj.weight", new Shape(f, d));
            s.put(b + "mlp.c_proj.bias", new Shape(d));
        }
        s.put("transformer.ln_f.weight", new Shape(d));
        s.put("transformer.ln_f.bias", new Shape(d));
        if (!c.tiedHead()) s.put("lm_head.weight", new Shape(c.vocabSize(), d));
        return s;
    }

    /** The projections a LoRA may target: module name (as PEFT names it) to {in, out} features. */
    static Map<String, long[]> linearModules(HfConfig c) {
        Map<String, long[]> out = new LinkedHashMap<>();
        long d = c.hidden();
        for (int l = 0; l < c.layers(); l++) {
            String b = "transformer.h." + l + ".";
            out.put(b + "attn.c_attn", new long[] {d, 3 * d});
            out.put(b + "attn.c_proj", new long[] {d, d});
            out.put(b + "mlp.c_fc", new long[] {d, c.intermediate()});
            out.put(b + "mlp.c_proj", new long[] {c.intermediate(), d});
        }
        return out;
    }

    @Override
    public HfConfig config() { return config; }

    @Override
    public Map<String, long[]> linearModules() { return linearModules(config); }

    @Override
    public int vocabSize() { return config.vocabSize(); }

    @Override
    public int contextLength() { return config.maxPositions(); }

    @Override
    public int layers() { return config.layers(); }

    @Override
    public NDManager manager() { return manager; }

    @Override
    public Map<String, NDArray> parameters() { return Collections.unmodifiableMap(params); }

    @Override
    public void attach(Lora adapter) { this.lora = adapter; }

    @Override
    public NDArray forward(NDArray tokens, NDArray positions, NDArray bias, KvCache cache, boolean training) {
        NDManager m = tokens.getManager();
        int d = config.hidden();
        int nh = config.heads();
        int hs = config.headDim();
        long b = tokens.getShape().get(0);
        long t = tokens.getShape().get(1);
        long past = cache == null ? 0 : cache.length();
        if (past + t > config.maxPositions()) {
            throw new IllegalArgumentException("sequence of " + (past + t) + " tokens exceeds n_positions " + config.maxPositions());
        }
        // Scalars as arrays that live as long as the graph (engine rule: never a Java number next to a gradient).
        NDArray scale = m.create(1f / (float) Math.sqrt(hs));
        NDArray x = Embedding.embedding(tokens, p("transformer.wte.weight"), SparseFormat.DENSE).singletonOrThrow()    // (B, T, d)
                .add(Embedding.embedding(positions, p("transformer.wpe.weight"), SparseFormat.DENSE).singletonOrThrow());
        for (int l = 0; l < config.layers(); l++) {
            String pre = "transformer.h." + l + ".";
            // --- causal self-attention on the pre-normed residual ---
            NDArray h = layerNorm(x, pre + "ln_1");                                                     // (B, T, d)
            NDList qkv = conv1d(h, pre + "attn.c_attn", training).split(3, 2);                          // 3 x (B, T, d)
            NDArray q = heads(qkv.get(0), b, t, nh, hs);                                                // (B, nh, T, hs)
            NDArray k = heads(qkv.get(1), b, t, nh, hs);                                                // (B, nh, T, hs)
            NDArray v = heads(qkv.get(2), b, t, nh, hs);                                                // (B, nh, T, hs)
            if (cache != null) {
                NDArray[] kv = cache.append(l, k, v);
                k = kv[0];                                                                              // (B, nh, S, hs)
                v = kv[1];                                                                              // (B, nh, S, hs)
            }
            NDArray att = q.matMul(k.transpose(0, 1, 3, 2)).mul(scale).add(bias).softmax(-1);          // (B, nh, T, S)
            NDArray y = att.matMul(v).transpose(0, 2, 1, 3).reshape(b, t, d);                          // (B, T, d)
            x = x.add(conv1d(y, pre + "attn.c_proj", training));
            // --- MLP ---
            h = conv1d(layerNorm(x, pre + "ln_2"), pre + "mlp.c_fc", training);                         // (B, T, f)
            x = x.add(conv1d(geluNew(h), pre + "mlp.c_proj", training));                                // (B, T, d)
        }
        if (cache != null) cache.advance(t);
        x = layerNorm(x, "transformer.ln_f");                                                          // (B, T, d)
        NDArray head = config.tiedHead() ? p("transformer.wte.weight") : p("lm_head.weight");          // (V, d)
        return Linear.linear(x, head).singletonOrThrow();                                              // (B, T, V)
    }

    /** HF's Conv1D: x W + b with W stored (in, out), plus the LoRA update when one targets this module. */
    private NDArray conv1d(NDArray x, String module, boolean training) {
        NDArray y = x.matMul(p(module + ".weight")).add(p(module + ".bias"));
        return lora == null ? y : lora.addTo(module, x, y, training);
    }

    /** gelu_new: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), GPT-2's tanh approximation of GELU. */
    private static NDArray geluNew(NDArray x) {
        NDManager m = x.getManager();
        NDArray inner = x.add(x.pow(m.create(3f)).mul(m.create(0.044715f))).mul(m.create((float) Math.sqrt(2 / Math.PI)));
        return x.mul(m.create(0.5f)).mul(inner.tanh().add(m.create(1f)));
    }

    private static NDArray heads(NDArray a, long b, long t, int nh, int hs) {
        return a.reshape(b, t, nh, hs).transpose(0, 2, 1, 3);
    }

    private NDArray layerNorm(NDArray x, String name) {
        return LayerNorm.layerNorm(x, new Shape(config.hidden()), p(name + ".weight"), p(name + ".bias"),
                (float) config.normEps()).singletonOrThrow();
    }

    private NDArray p(String name) {
        NDArray a = params.get(name);
        if (a == null) throw new IllegalStateException("missing parameter " + name);
        return a;
    }

    @Override
    public void close() { manager.close(); }
}
