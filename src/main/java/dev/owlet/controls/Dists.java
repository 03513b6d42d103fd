package dev.owlet.controls;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import dev.owlet.model.Gpt;
import java.util.List;

/** Batched forward passes over right-padded token sequences. */
final class Dists {
    private Dists() {}

    /** Softmax over the vocabulary at every position: (B, T, V) row-major, with T the longest sequence. */
    static float[] probs(Gpt model, List<int[]> seqs, int pad) {
        int t = seqs.stream().mapToInt(s -> s.length).max().orElse(1);
        long[] tok = tokens(seqs, pad, t);
        try (NDScope scope = new NDScope(); NDManager m = model.manager().getParentManager().newSubManager()) {
            return model.forward(m.create(tok, new Shape(seqs.size(), t)), false).softmax(-1).toFloatArray(); // (B, T, V)
        }
    }

    /** Final hidden states at every position: (B, T, d) row-major. */
    static float[] hidden(Gpt model, List<int[]> seqs, int pad) {
        int t = seqs.stream().mapToInt(s -> s.length).max().orElse(1);
        long[] tok = tokens(seqs, pad, t);
        try (NDScope scope = new NDScope(); NDManager m = model.manager().getParentManager().newSubManager()) {
            return model.forwardHidden(m.create(tok, new Shape(seqs.size(), t))).toFloatArray(); // (B, T, d)
        }
    }

    static int maxLen(List<int[]> seqs) {
        return seqs.stream().mapToInt(s -> s.length).max().orElse(1);
    }

    private static long[] tokens(List<int[]> seqs, int pad, int t) {
        long[] tok = new long[seqs.size() * t];
        java.util.Arrays.fill(tok, pad);
        for (int r = 0; r < seqs.size(); r++) {
            int[] s = seqs.get(r);
            for (int i = 0; i < s.length; i++) tok[r * t + i] = s[i];
        }
        return tok;
    }

    static int[] concat(int[] a, int[] b, int max) {
        int n = Math.min(max, a.length + b.length);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) out[i] = i < a.length ? a[i] : b[i - a.length];
        return out;
    }
}
