package dev.owlet.infer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import dev.owlet.model.CausalLm;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import dev.owlet.model.KvCache;
import java.util.ArrayList;
import java.util.List;

/** Exact log-probabilities from one forward pass: what the evaluation uses for P(answer | question). */
public final class LogProbs {
    private final CausalLm model;
    private final int padId;

    public LogProbs(CausalLm model, int padId) {
        this.model = model;
        this.padId = padId;
    }

    /** log P(continuation | prompt) for each pair, summed over continuation tokens. */
    public double[] continuation(List<int[]> prompts, List<int[]> continuations, int batchSize) {
        double[] out = new double[prompts.size()];
        for (int s = 0; s < prompts.size(); s += batchSize) {
            int e = Math.min(prompts.size(), s + batchSize);
            int b = e - s;
            int t = 0;
            for (int i = s; i < e; i++) t = Math.max(t, prompts.get(i).length + continuations.get(i).length - 1);
            long[] tok = new long[b * t];
            java.util.Arrays.fill(tok, padId);
            for (int r = 0; r < b; r++) {
                int[] p = prompts.get(s + r);
                int[] c = continuations.get(s + r);
                for (int i = 0; i < p.length; i++) tok[r * t + i] = p[i];
                for (int i = 0; i < c.length - 1; i++) tok[r * t + p.length + i] = c[i];
            }
            float[] logp;
            int v = model.vocabSize();
            try (NDScope scope = new NDScope(); NDManager m = model.manager().getParentManager().newSubManager()) {
                logp = model.forward(m.create(tok, new Shape(b, t)), false).logSoftmax(-1).toFloatArray(); // (B, T, V)
            }
            for (int r = 0; r < b; r++) {
                int[] p = prompts.get(s + r);
                int[] c = continuations.get(s + r);
                double sum = 0;
                for (int i = 0; i < c.length; i++) {
                    int at = p.length - 1 + i;
                    sum += logp[(r * t + at) * v + c[i]];
                }
                out[s + r] = sum;
            }
        }
        return out;
    }

    /** The full next-token distribution (probabilities) after each prompt, as (N, V) row-major. */
    public float[][] nextToken(List<int[]> prompts, int batchSize) {
        float[][] out = new float[prompts.size()][];
        int v = model.vocabSize();
        for (int s = 0; s < prompts.size(); s += batchSize) {
            int e = Math.min(prompts.size(), s + batchSize);
            int b = e - s;
            int t = 0;
            for (int i = s; i < e; i++) t = Math.max(t, prompts.get(i).length);
            long[] tok = new long[b * t];
            java.util.Arrays.fill(tok, padId);
            for (int r = 0; r < b; r++) {
                int[] p = prompts.get(s + r);
                for (int i = 0; i < p.length; i++) tok[r * t + i] = p[i];
            }
            float[] probs;
            try (NDScope scope = new NDScope(); NDManager m = model.manager().getParentManager().newSubManager()) {
                probs = model.forward(m.create(tok, new Shape(b, t)), false).softmax(-1).toFloatArray();
            }
            for (int r = 0; r < b; r++) {
                int at = prompts.get(s + r).length - 1;
                out[s + r] = java.util.Arrays.copyOfRange(probs, (r * t + at) * v, (r * t + at + 1) * v);
            }
        }
        return out;
    }

    /**
     * Next-token probabilities (V each) after {@code prompt} followed by each of {@code prefixes} (an empty prefix:
     * after the prompt itself). The prompt is run once into a key/value cache that every prefix continues, so
     * scoring many short continuations of one long prompt costs one prompt pass plus the continuations' tokens.
     */
    public float[][] afterPrefixes(int[] prompt, List<int[]> prefixes) {
        float[][] out = new float[prefixes.size()][];
        int t = prompt.length;
        try (NDManager m = model.manager().getParentManager().newSubManager(); KvCache cache = new KvCache(model.layers())) {
            float[] first;
            try (NDScope scope = new NDScope()) {
                long[] tok = new long[t];
                long[] pos = new long[t];
                for (int i = 0; i < t; i++) {
                    tok[i] = prompt[i];
                    pos[i] = i;
                }
                NDArray logits = model.forward(m.create(tok, new Shape(1, t)), m.create(pos, new Shape(1, t)),
                        dev.owlet.model.Gpt.causalBias(m, t).reshape(1, 1, t, t), cache, false);    // (1, T, V)
                first = logits.get(0, t - 1).softmax(-1).toFloatArray();                         // (V)
                cache.detachFrom(NDScope::unregister);
            }
            List<Integer> rows = new ArrayList<>();
            int l = 0;
            for (int i = 0; i < prefixes.size(); i++) {
                if (prefixes.get(i).length == 0) {
                    out[i] = first;
                } else {
                    rows.add(i);
                    l = Math.max(l, prefixes.get(i).length);
                }
            }
            if (rows.isEmpty()) return out;
            int n = rows.size();
            int s = t + l;
            long[] tok = new long[n * l];
            long[] pos = new long[n * l];
            float[] bias = new float[n * l * s];
            java.util.Arrays.fill(tok, padId);
            for (int r = 0; r < n; r++) {
                int[] pre = prefixes.get(rows.get(r));
                for (int j = 0; j < l; j++) {
                    if (j < pre.length) tok[r * l + j] = pre[j];
                    pos[r * l + j] = t + j;
                    for (int k = j + 1; k < l; k++) bias[(r * l + j) * s + t + k] = -1e9f; // causal among the new tokens
                }
            }
            try (KvCache rows1 = cache.repeat(n); NDScope scope = new NDScope()) {
                NDArray logits = model.forward(m.create(tok, new Shape(n, l)), m.create(pos, new Shape(n, l)),
                        m.create(bias, new Shape(n, 1, l, s)), rows1, false);                     // (n, L, V)
                rows1.detachFrom(NDScope::unregister);
                NDList last = new NDList();
                for (int r = 0; r < n; r++) last.add(logits.get(r, prefixes.get(rows.get(r)).length - 1));
                float[] probs = NDArrays.stack(last).softmax(-1).toFloatArray();                 // (n, V)
                int v = model.vocabSize();
                for (int r = 0; r < n; r++) out[rows.get(r)] = java.util.Arrays.copyOfRange(probs, r * v, (r + 1) * v);
            }
        }
        return out;
    }

    /**
     * Next-token log-probabilities (V each) at the positions that predict each token of {@code continuation}
     * after {@code prompt}: row j is log P(. | prompt, continuation[0..j-1]).
     */
    public float[][] positions(int[] prompt, int[] continuation) {
        int t = prompt.length + Math.max(0, continuation.length - 1);
        long[] tok = new long[t];
        for (int i = 0; i < prompt.length; i++) tok[i] = prompt[i];
        for (int i = 0; i + 1 < continuation.length; i++) tok[prompt.length + i] = continuation[i];
        int v = model.vocabSize();
        float[] logp;
        try (NDScope scope = new NDScope(); NDManager m = model.manager().getParentManager().newSubManager()) {
            logp = model.forward(m.create(tok, new Shape(1, t)), false).logSoftmax(-1).toFloatArray(); // (1, T, V)
        }
        float[][] out = new float[continuation.length][];
        for (int j = 0; j < continuation.length; j++) {
            int at = prompt.length - 1 + j;
            out[j] = java.util.Arrays.copyOfRange(logp, at * v, (at + 1) * v);
        }
        return out;
    }
}
