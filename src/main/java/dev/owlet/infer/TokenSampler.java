package dev.owlet.infer;

import java.util.Arrays;
import java.util.SplittableRandom;

/** Draws one token from logits with temperature and nucleus (top-p) truncation; randomness is injected. */
public final class TokenSampler {
    private TokenSampler() {}

    public static int sample(float[] logits, int offset, int vocab, SamplingConfig cfg, SplittableRandom rng) {
        if (cfg.temperature() == 0) {
            int best = 0;
            for (int i = 1; i < vocab; i++) {
                if (logits[offset + i] > logits[offset + best]) best = i;
            }
            return best;
        }
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) max = Math.max(max, logits[offset + i]);
        double[] p = new double[vocab];
        double z = 0;
        for (int i = 0; i < vocab; i++) {
            p[i] = Math.exp((logits[offset + i] - max) / cfg.temperature());
            z += p[i];
        }
        double u = rng.nextDouble();
        if (cfg.topP() >= 1) {
            double acc = 0;
            for (int i = 0; i < vocab; i++) {
                acc += p[i] / z;
                if (u < acc) return i;
            }
            return vocab - 1;
        }
        // The nucleus: tokens by descending probability (ties by id) until they hold top_p of the mass. Picking the
        // next largest one at a time costs a pass per token kept, far less than sorting the vocabulary when a few
        // tokens hold the mass (a sharpened or trained writer); past SELECT_MAX tokens a sort takes over.
        int[] order = new int[vocab];
        boolean[] taken = new boolean[vocab];
        double kept = 0;
        int n = 0;
        while (n < vocab && kept < cfg.topP() * z) {
            if (n == SELECT_MAX) return sorted(p, z, u, cfg.topP(), vocab);
            int best = -1;
            for (int i = 0; i < vocab; i++) if (!taken[i] && (best < 0 || p[i] > p[best])) best = i;
            taken[best] = true;
            order[n++] = best;
            kept += p[best];
        }
        double acc = 0;
        for (int i = 0; i < n; i++) {
            acc += p[order[i]] / kept;
            if (u < acc) return order[i];
        }
        return order[n - 1];
    }

    /** Tokens kept one at a time up to this many; a wider nucleus is found by sorting. */
    private static final int SELECT_MAX = 24;

    /** Nucleus sampling over the whole vocabulary sorted by descending probability (a stable sort: ties by id). */
    static int sorted(double[] p, double z, double u, double topP, int vocab) {
        Integer[] order = new Integer[vocab];
        for (int i = 0; i < vocab; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Double.compare(p[b], p[a]));
        double kept = 0;
        int n = 0;
        while (n < vocab && kept < topP * z) {
            kept += p[order[n++]];
        }
        double acc = 0;
        for (int i = 0; i < n; i++) {
            acc += p[order[i]] / kept;
            if (u < acc) return order[i];
        }
        return order[n - 1];
    }
}
