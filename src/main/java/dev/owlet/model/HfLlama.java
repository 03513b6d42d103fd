package dev.owlet.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.core.Linear;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Hugging Face's {@code LlamaForCausalLM} and {@code Qwen2ForCausalLM}, which share one forward pass: RMSNorm
 * before attention and MLP, rotary position embeddings, grouped-query attention (each key/value head serves
 * heads / kv_heads query heads), a SwiGLU MLP {@code down(silu(gate(x)) * up(x))}, a final RMSNorm, and an LM head
 * that is its own matrix or the token embedding. Qwen2 differs only in biases on q, k and v.
 *
 * <p>Parameters keep the checkpoint's names ({@code model.layers.0.self_attn.q_proj.weight}...) in
 * {@code nn.Linear}'s (out, in) layout. Rotary embeddings follow HF's "rotate half" layout: the head's first half
 * pairs with its second half (not even with odd indices, as in Meta's original code), which is the layout of the
 * q/k weights in HF checkpoints. Inference only: no dropout. A {@link Lora} attached with {@link #attach} adds
 * its low-rank update to the projections it targets.
 */
public final class HfLlama implements HfModel {
    private final HfConfig config;
    private final NDManager manager;
    private final Map<String, NDArray> params;
    private final float[] invFreq;
    private Lora lora;

    HfLlama(HfConfig config, NDManager manager, Map<String, NDArray> params) {
        this.config = config;
        this.manager = manager;
        this.params = params;
        // inv_freq[i] = 1 / theta^(2i / head_dim), in float32 as HF computes it
        int half = config.headDim() / 2;
        invFreq = new float[half];
        for (int i = 0; i < half; i++) {
            float exponent = (float) (2 * i) / config.headDim();
            invFreq[i] = 1f / (float) Math.pow(config.ropeTheta(), exponent);
        }
    }

    /** Every tensor a checkpoint must hold, with its (out, in) shape. */
    static Map<String, Shape> expectedShapes(HfConfig c) {
        int d = c.hidden();
        int q = c.heads() * c.headDim();
        int kv = c.kvHeads() * c.headDim();
        int f = c.intermediate();
        Map<String, Shape> s = new LinkedHashMap<>();
        s.put("model.embed_tokens.weight", new Shape(c.vocabSize(), d));
        for (int l = 0; l < c.layers(); l++) {
            String b = "model.layers." + l + ".";
            s.put(b + "input_layernorm.weight", new Shape(d));
            linear(s, c.qkvBias(), b + "self_attn.q_proj", q, d);
            linear(s, c.qkvBias(), b + "self_attn.k_proj", kv, d);
            linear(s, c.qkvBias(), b + "self_attn.v_proj", kv, d);
            linear(s, c.oBias(), b + "self_attn.o_proj", d, q);
            s.put(b + "post_attention_layernorm.weight", new Shape(d));
            linear(s, c.mlpBias(), b + "mlp.gate_proj", f, d);
            linear(s, c.mlpBias(), b + "mlp.up_proj", f, d);
            linear(s, c.mlpBias(), b + "mlp.down_proj", d, f);
        }
        s.put("model.norm.weight", new Shape(d));
        if (!c.tiedHead()) s.put("lm_head.weight", new Shape(c.vocabSize(), d));
        return s;
    }

    private static void linear(Map<String, Shape> s, boolean bias, String module, int out, int in) {
        s.put(module + ".weight", new Shape(out, in));
        if (bias) s.put(module + ".bias", new Shape(out));
    }

    /** The projections a LoRA may target: module name (as PEFT names it) to {in, out} features. */
    static Map<String, long[]> linearModules(HfConfig c) {
        Map<String, long[]> out = new LinkedHashMap<>();
        long d = c.hidden();
        long q = (long) c.heads() * c.headDim();
        long kv = (long) c.kvHeads() * c.headDim();
        for (int l = 0; l < c.layers(); l++) {
            String b = "model.layers." + l + ".";
            out.put(b + "self_attn.q_proj", new long[] {d, q});
            out.put(b + "self_attn.k_proj", new long[] {d, kv});
            out.put(b + "self_attn.v_proj", new long[] {d, kv});
            out.put(b + "self_attn.o_proj", new long[] {q, d});
            out.put(b + "mlp.gate_proj", new long[] {d, c.intermediate()});
            out.put(b + "mlp.up_proj", new long[] {d, c.intermediate()});
            out.put(b + "mlp.down_proj", new long[] {c.intermediate(), d});
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
        int nh = config.heads();
        int nkv = config.kvHeads();
        int hd = config.headDim();
        long b = tokens.getShape().get(0);
        long t = tokens.getShape().get(1);
        long past = cache == null ? 0 : cache.length();
        if (past + t > config.maxPositions()) {
            throw new IllegalArgumentException("sequence of " + (past + t) + " tokens exceeds max_position_embeddings "
                    + config.maxPositions());
        }
        NDArray scale = m.create(1f / (float) Math.sqrt(hd));  // a long-lived scalar array, never a Java number
        NDArray eps = m.create((float) config.normEps());
        NDArray[] cosSin = rotary(positions);                                                           // 2 x (B, 1, T, hd)
        NDArray x = Embedding.embedding(tokens, p("model.embed_tokens.weight"), SparseFormat.DENSE).singletonOrThrow(); // (B, T, d)
        for (int l = 0; l < config.layers(); l++) {
            String pre = "model.layers." + l + ".";
            // --- grouped-query self-attention on the RMS-normed residual ---
            NDArray h = rmsNorm(x, pre + "input_layernorm", eps);                                       // (B, T, d)
            NDArray q = heads(linear(h, pre + "self_attn.q_proj", training), b, t, nh, hd);             // (B, nh, T, hd)
            NDArray k = heads(linear(h, pre + "self_attn.k_proj", training), b, t, nkv, hd);            // (B, nkv, T, hd)
            NDArray v = heads(linear(h, pre + "self_attn.v_proj", training), b, t, nkv, hd);            // (B, nkv, T, hd)
            q = rotate(q, cosSin);
            k = rotate(k, cosSin);                                                                      // cached rotated, as HF does
            if (cache != null) {
                NDArray[] kv = cache.append(l, k, v);
                k = kv[0];                                                                              // (B, nkv, S, hd)
                v = kv[1];                                                                              // (B, nkv, S, hd)
            }
            k = repeatKv(k, nh / nkv);                                                                  // (B, nh, S, hd)
            v = repeatKv(v, nh / nkv);                                                                  // (B, nh, S, hd)
            NDArray att = q.matMul(k.transpose(0, 1, 3, 2)).mul(scale).add(bias).softmax(-1);          // (B, nh, T, S)
            NDArray y = att.matMul(v).transpose(0, 2, 1, 3).reshape(b, t, (long) nh * hd);             // (B, T, nh*hd)
            x = x.add(linear(y, pre + "self_attn.o_proj", training));                                   // (B, T, d)
            // --- SwiGLU MLP ---
            h = rmsNorm(x, pre + "post_attention_layernorm", eps);                                      // (B, T, d)
            NDArray gate = linear(h, pre + "mlp.gate_proj", training);                                  // (B, T, f)
            NDArray up = linear(h, pre + "mlp.up_proj", training);                                      // (B, T, f)
            x = x.add(linear(gate.mul(Activation.sigmoid(gate)).mul(up), pre + "mlp.down_proj", training)); // (B, T, d)
        }
        if (cache != null) cache.advance(t);
        x = rmsNorm(x, "model.norm", eps);                                                             // (B, T, d)
        NDArray head = config.tiedHead() ? p("model.embed_tokens.weight") : p("lm_head.weight");       // (V, d)
        return Linear.linear(x, head).singletonOrThrow();                                              // (B, T, V)
    }

    /**
     * cos and sin of position * inv_freq, each (B, 1, T, hd) with the half-width table repeated twice ({@code
     * cat(freqs, freqs)}), computed in float32 like HF's default rotary embedding.
     */
    private NDArray[] rotary(NDArray positions) {
        long[] pos = positions.toLongArray();
        long b = positions.getShape().get(0);
        long t = positions.getShape().get(1);
        int hd = config.headDim();
        int half = hd / 2;
        float[] cos = new float[pos.length * hd];
        float[] sin = new float[pos.length * hd];
        for (int i = 0; i < pos.length; i++) {
            for (int j = 0; j < half; j++) {
                float angle = (float) pos[i] * invFreq[j];
                float c = (float) Math.cos(angle);
                float s = (float) Math.sin(angle);
                cos[i * hd + j] = c;
                cos[i * hd + half + j] = c;
                sin[i * hd + j] = s;
                sin[i * hd + half + j] = s;
            }
        }
        NDManager m = positions.getManager();
        return new NDArray[] {m.create(cos, new Shape(b, 1, t, hd)), m.create(sin, new Shape(b, 1, t, hd))};
    }

    /** x cos + rotate_half(x) sin, where rotate_half(x) = cat(-x2, x1) for the two halves of the head. */
    private static NDArray rotate(NDArray x, NDArray[] cosSin) {
        NDList halves = x.split(2, 3);                                                                  // 2 x (B, n, T, hd/2)
        NDArray rotated = NDArrays.concat(new NDList(halves.get(1).neg(), halves.get(0)), -1);         // (B, n, T, hd)
        return x.mul(cosSin[0]).add(rotated.mul(cosSin[1]));
    }

    /** HF's repeat_kv: key/value head j serves query heads j*rep .. j*rep + rep - 1. */
    private static NDArray repeatKv(NDArray kv, int rep) {
        if (rep == 1) return kv;
        Shape s = kv.getShape();                                                                        // (B, nkv, S, hd)
        return kv.expandDims(2).broadcast(new Shape(s.get(0), s.get(1), rep, s.get(2), s.get(3)))       // (B, nkv, rep, S, hd)
                .reshape(s.get(0), s.get(1) * rep, s.get(2), s.get(3));                                 // (B, nh, S, hd)
    }

    /** RMSNorm: x / sqrt(mean(x^2) + eps) * weight, over the last axis. */
    private NDArray rmsNorm(NDArray x, String name, NDArray eps) {
        NDArray rms = x.square().mean(new int[] {-1}, true).add(eps).sqrt();                           // (B, T, 1)
        return x.div(rms).mul(p(name + ".weight"));
    }

    private NDArray linear(NDArray x, String module, boolean training) {
        NDArray bias = params.get(module + ".bias");
        NDArray y = (bias == null ? Linear.linear(x, p(module + ".weight"))
                : Linear.linear(x, p(module + ".weight"), bias)).singletonOrThrow();
        return lora == null ? y : lora.addTo(module, x, y, training);
    }

    private static NDArray heads(NDArray a, long b, long t, int n, int hd) {
        return a.reshape(b, t, n, hd).transpose(0, 2, 1, 3);
    }

    private NDArray p(String name) {
        NDArray a = params.get(name);
        if (a == null) throw new IllegalStateException("missing parameter " + name);
        return a;
    }

    @Override
    public void close() { manager.close(); }
}
