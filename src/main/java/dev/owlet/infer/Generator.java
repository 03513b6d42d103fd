package dev.owlet.infer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import dev.owlet.model.CausalLm;
import dev.owlet.model.KvCache;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Batched sampling with a key/value cache. Prompts are left-padded so every row's next token sits in the last
 * column; each row has its own RNG seed, so a completion does not depend on which batch it landed in (up to
 * float rounding of padded attention).
 */
public final class Generator {
    private static final float MASKED = -1e9f;
    private final CausalLm model;
    private final int[] endIds;
    private final int padId;

    public Generator(CausalLm model, int endId, int padId) {
        this(model, new int[] {endId}, padId);
    }

    /**
     * A generator that stops a row at any of {@code endIds} (Hugging Face checkpoints may name several, e.g. a
     * chat model's end-of-turn and end-of-text; none for a checkpoint that names no eos).
     */
    public Generator(CausalLm model, int[] endIds, int padId) {
        this.model = model;
        this.endIds = endIds.clone();
        this.padId = padId;
    }

    private boolean isEnd(int token) {
        for (int e : endIds) if (e == token) return true;
        return false;
    }

    /**
     * Completions (without the end token) for each prompt, drawn in batches of {@code batchSize}; null for a
     * completion rejected by threshold sampling ({@link SamplingConfig#minTokenProbability}).
     */
    public List<int[]> sample(List<int[]> prompts, long[] seeds, SamplingConfig cfg, int batchSize) {
        if (seeds.length != prompts.size()) {
            throw new IllegalArgumentException("one seed per prompt: " + seeds.length + " seeds, " + prompts.size() + " prompts");
        }
        List<int[]> out = new ArrayList<>(prompts.size());
        for (int s = 0; s < prompts.size(); s += batchSize) {
            int e = Math.min(prompts.size(), s + batchSize);
            out.addAll(sampleBatch(prompts.subList(s, e), Arrays.copyOfRange(seeds, s, e), cfg, null));
        }
        return out;
    }

    /**
     * One batch. If {@code stepLogits} is non-null, each step's (B, V) next-token logits are appended to it
     * (tests compare them with a full forward pass).
     */
    public List<int[]> sampleBatch(List<int[]> prompts, long[] seeds, SamplingConfig cfg, List<float[]> stepLogits) {
        int b = prompts.size();
        int len = 0;
        for (int[] p : prompts) len = Math.max(len, p.length);
        int maxNew = Math.min(cfg.maxTokens(), model.contextLength() - len);
        if (maxNew <= 0) {
            throw new IllegalArgumentException("prompt of " + len + " tokens leaves no room in context_length "
                    + model.contextLength());
        }
        int vocab = model.vocabSize();
        int[] pad = new int[b];
        long[] tok = new long[b * len];
        long[] pos = new long[b * len];
        float[] bias = new float[b * len * len];
        for (int r = 0; r < b; r++) {
            int[] p = prompts.get(r);
            pad[r] = len - p.length;
            for (int i = 0; i < len; i++) {
                tok[r * len + i] = i < pad[r] ? padId : p[i - pad[r]];
                pos[r * len + i] = Math.max(0, i - pad[r]);
                for (int j = 0; j < len; j++) {
                    boolean visible = j <= i && j >= pad[r];
                    bias[(r * len + i) * len + j] = visible ? 0f : MASKED;
                }
            }
        }
        SplittableRandom[] rng = new SplittableRandom[b];
        for (int r = 0; r < b; r++) rng[r] = new SplittableRandom(seeds[r]);
        List<List<Integer>> gen = new ArrayList<>();
        for (int r = 0; r < b; r++) gen.add(new ArrayList<>());
        boolean[] done = new boolean[b];
        boolean[] below = new boolean[b]; // threshold sampling: a token under the threshold was drawn
        double tau = cfg.minTokenProbability();
        int[] live = new int[b]; // the rows still in the batch, in batch order
        for (int r = 0; r < b; r++) live[r] = r;
        try (NDManager m = model.manager().getParentManager().newSubManager(); KvCache cache = new KvCache(model.layers())) {
            float[] last;                                                                      // (live, V)
            try (NDScope scope = new NDScope()) {
                NDArray logits = model.forward(m.create(tok, new Shape(b, len)), m.create(pos, new Shape(b, len)),
                        m.create(bias, new Shape(b, 1, len, len)), cache, false);            // (B, L, V)
                last = logits.get(":, -1, :").toFloatArray();                                  // (B, V)
                cache.detachFrom(NDScope::unregister);
            }
            for (int step = 0; step < maxNew; step++) {
                if (stepLogits != null) stepLogits.add(full(last, live, b, vocab));
                int running = 0;
                for (int i = 0; i < live.length; i++) {
                    int r = live[i];
                    if (done[r]) continue;
                    int next = TokenSampler.sample(last, i * vocab, vocab, cfg, rng[r]);
                    if (tau > 0 && probability(last, i * vocab, vocab, next) < tau) {
                        below[r] = true;
                        done[r] = true; // rejected whatever follows: stop writing it
                    } else if (isEnd(next)) {
                        done[r] = true;
                    } else {
                        gen.get(r).add(next);
                        running++;
                    }
                }
                if (running == 0 || step == maxNew - 1) break;
                if (running <= live.length * 3 / 4) live = compact(live, done, cache, m);
                int n = live.length;
                int s = len + step + 1; // keys after this step
                long[] t1 = new long[n];
                long[] p1 = new long[n];
                float[] b1 = new float[n * s];
                for (int i = 0; i < n; i++) {
                    int r = live[i];
                    List<Integer> g = gen.get(r);
                    t1[i] = done[r] ? padId : g.get(g.size() - 1);
                    p1[i] = len - pad[r] + step;
                    for (int j = 0; j < pad[r]; j++) b1[i * s + j] = MASKED;
                }
                try (NDScope scope = new NDScope()) {
                    NDArray logits = model.forward(m.create(t1, new Shape(n, 1)), m.create(p1, new Shape(n, 1)),
                            m.create(b1, new Shape(n, 1, 1, s)), cache, false);               // (n, 1, V)
                    last = logits.toFloatArray();
                    cache.detachFrom(NDScope::unregister);
                }
            }
        }
        List<int[]> out = new ArrayList<>(b);
        for (int r = 0; r < b; r++) out.add(below[r] ? null : gen.get(r).stream().mapToInt(Integer::intValue).toArray());
        return out;
    }

    /**
     * Drops finished rows from the batch (and their keys and values from the cache), so the remaining steps cost
     * only the rows still writing: most rows end well before the longest one, and threshold sampling stops a
     * rejected row at its first unlikely token. Each row keeps its own RNG, so what it writes does not change.
     */
    private static int[] compact(int[] live, boolean[] done, KvCache cache, NDManager m) {
        int[] keep = Arrays.stream(live).filter(r -> !done[r]).toArray();
        long[] at = new long[keep.length];
        for (int i = 0, k = 0; i < live.length; i++) if (!done[live[i]]) at[k++] = i;
        try (NDArray idx = m.create(at)) {
            cache.keepRows(idx);
        }
        return keep;
    }

    /** One step's logits as (B, V) in the original row order, NaN for rows no longer in the batch. */
    private static float[] full(float[] last, int[] live, int b, int vocab) {
        float[] f = new float[b * vocab];
        Arrays.fill(f, Float.NaN);
        for (int i = 0; i < live.length; i++) System.arraycopy(last, i * vocab, f, live[i] * vocab, vocab);
        return f;
    }

    /** The model's own probability of {@code token}: softmax of the raw logits, before temperature and top-p. */
    static double probability(float[] logits, int offset, int vocab, int token) {
        double max = Double.NEGATIVE_INFINITY;
        for (int v = 0; v < vocab; v++) max = Math.max(max, logits[offset + v]);
        double z = 0;
        for (int v = 0; v < vocab; v++) z += Math.exp(logits[offset + v] - max);
        return Math.exp(logits[offset + token] - max) / z;
    }
}
