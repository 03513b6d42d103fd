package dev.owlet.audit;

import ai.djl.ndarray.NDManager;
import dev.owlet.model.Gpt;
import dev.owlet.model.GptConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Shared-initialization detector from weights alone. Training moves a small model's weights only part of the way
 * from where they started, so two descendants of one initialization keep correlated weight matrices, while two
 * independent initializations are uncorrelated. Hidden units and residual dimensions can be relabelled without
 * changing the function, so the residual basis is first aligned (matching embedding columns), then the hidden units
 * of every matrix (matching rows or columns by cosine, greedily one-to-one); the score is the mean over matrices of
 * the cosine of the aligned, flattened weights. The threshold is calibrated from pairs of independent random
 * initializations of the same architecture, scored the same way (matching inflates their cosine above zero).
 */
public final class WeightAudit {
    /** Margin above the null: the threshold is null mean + SIGMAS · null sd, and never below 2 × the null max. */
    public static final double SIGMAS = 10;

    private WeightAudit() {}

    /** One model's weights as plain arrays (copied out of the engine once). */
    public record Weights(GptConfig config, Map<String, float[]> tensors) {
        public Weights {
            tensors = Map.copyOf(tensors);
        }

        public static Weights of(Gpt model) {
            Map<String, float[]> t = new LinkedHashMap<>();
            model.parameters().forEach((k, v) -> t.put(k, v.toFloatArray()));
            return new Weights(model.config(), t);
        }
    }

    /** Per-matrix result: cosine of the flattened weights as stored, and after alignment. */
    public record LayerScore(String name, double raw, double aligned) {}

    /** The null distribution the threshold comes from. */
    public record Calibration(int pairs, double mean, double sd, double max, double threshold) {
        public Calibration {
            if (pairs < 2) throw new IllegalArgumentException("calibration needs at least 2 independent pairs, got " + pairs);
        }
    }

    /** The detector's answer for one pair. */
    public record Verdict(double score, boolean sameInit, Calibration calibration, List<LayerScore> layers) {
        public Verdict {
            layers = List.copyOf(layers);
        }
    }

    /** Scores a pair and decides against the calibration. */
    public static Verdict compare(Weights a, Weights b, Calibration cal) {
        List<LayerScore> layers = layers(a, b);
        double s = layers.stream().mapToDouble(LayerScore::aligned).average().orElse(0);
        return new Verdict(s, s > cal.threshold(), cal, layers);
    }

    /** The null: {@code pairs} pairs of independent random initializations of this architecture. */
    public static Calibration calibrate(GptConfig c, int pairs, long seed, NDManager root) {
        double[] scores = new double[pairs];
        for (int i = 0; i < pairs; i++) {
            try (Gpt x = Gpt.initialize(c, seed + 2L * i, root); Gpt y = Gpt.initialize(c, seed + 2L * i + 1, root)) {
                scores[i] = layers(Weights.of(x), Weights.of(y)).stream().mapToDouble(LayerScore::aligned).average().orElse(0);
            }
        }
        double mean = Arrays.stream(scores).average().orElse(0);
        double sd = Math.sqrt(Arrays.stream(scores).map(v -> (v - mean) * (v - mean)).sum() / Math.max(1, pairs - 1));
        double max = Arrays.stream(scores).max().orElse(0);
        return new Calibration(pairs, mean, sd, max, Math.max(mean + SIGMAS * sd, 2 * max));
    }

    /** Per-matrix scores; fails naming the first difference when the architectures differ. */
    public static List<LayerScore> layers(Weights a, Weights b) {
        if (!a.config().equals(b.config())) {
            throw new IllegalArgumentException("architecture mismatch: " + a.config() + " vs " + b.config()
                    + " (the detector compares checkpoints of the same architecture)");
        }
        GptConfig c = a.config();
        int d = c.dModel();
        int v = c.vocabSize();
        List<LayerScore> out = new ArrayList<>();
        // Residual basis: token rows are fixed, so match the d embedding columns.
        int[] pi = match(a.tensors().get("wte"), b.tensors().get("wte"), v, d, false, null);
        out.add(score("wte", a, b, v, d, null, pi));
        out.add(score("wpe", a, b, c.contextLength(), d, null, pi));
        for (int l = 0; l < c.layers(); l++) {
            String p = "h." + l + ".";
            // c_attn (3d, d): q, k and v units are each permutable; residual on columns.
            float[] qa = a.tensors().get(p + "attn.c_attn.weight");
            float[] qb = b.tensors().get(p + "attn.c_attn.weight");
            int[] rows = new int[3 * d];
            for (int part = 0; part < 3; part++) {
                float[] sa = Arrays.copyOfRange(qa, part * d * d, (part + 1) * d * d);
                float[] sb = Arrays.copyOfRange(qb, part * d * d, (part + 1) * d * d);
                int[] m = match(sa, sb, d, d, true, pi);
                for (int i = 0; i < d; i++) rows[part * d + i] = part * d + m[i];
            }
            out.add(new LayerScore(p + "attn.c_attn.weight", cos(qa, qb), alignedCos(qa, qb, 3 * d, d, rows, pi)));
            out.add(residualRows(p + "attn.c_proj.weight", a, b, d, d, pi));
            float[] fa = a.tensors().get(p + "mlp.c_fc.weight");
            float[] fb = b.tensors().get(p + "mlp.c_fc.weight");
            int[] hid = match(fa, fb, 4 * d, d, true, pi);
            out.add(new LayerScore(p + "mlp.c_fc.weight", cos(fa, fb), alignedCos(fa, fb, 4 * d, d, hid, pi)));
            out.add(residualRows(p + "mlp.c_proj.weight", a, b, d, 4 * d, pi));
        }
        return out;
    }

    /** A (residual, hidden) matrix: rows follow the residual alignment, columns are matched. */
    private static LayerScore residualRows(String name, Weights a, Weights b, int rows, int cols, int[] pi) {
        float[] x = a.tensors().get(name);
        float[] y = b.tensors().get(name);
        int[] colPerm = match(x, y, rows, cols, false, pi);
        return new LayerScore(name, cos(x, y), alignedCos(x, y, rows, cols, pi, colPerm));
    }

    private static LayerScore score(String name, Weights a, Weights b, int rows, int cols, int[] rowPerm, int[] colPerm) {
        float[] x = a.tensors().get(name);
        float[] y = b.tensors().get(name);
        return new LayerScore(name, cos(x, y), alignedCos(x, y, rows, cols, rowPerm, colPerm));
    }

    /**
     * Greedy one-to-one matching of A's units to B's by cosine. Units are rows ({@code byRows}) or columns of a
     * (rows, cols) row-major matrix; the other axis is the residual one, read through {@code other} (B's index for
     * A's coordinate) when given.
     */
    static int[] match(float[] a, float[] b, int rows, int cols, boolean byRows, int[] other) {
        int n = byRows ? rows : cols;
        int len = byRows ? cols : rows;
        float[][] ua = new float[n][len];
        float[][] ub = new float[n][len];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                int unit = byRows ? r : c;
                int coord = byRows ? c : r;
                ua[unit][coord] = a[r * cols + c];
                int rb = byRows ? r : (other == null ? r : other[r]);
                int cb = byRows ? (other == null ? c : other[c]) : c;
                ub[unit][coord] = b[rb * cols + cb];
            }
        }
        normalize(ua);
        normalize(ub);
        float[] sim = new float[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                float s = 0;
                for (int k = 0; k < len; k++) s += ua[i][k] * ub[j][k];
                sim[i * n + j] = s;
            }
        }
        Integer[] order = new Integer[n * n];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, (p, q) -> Float.compare(sim[q], sim[p]));
        int[] perm = new int[n];
        Arrays.fill(perm, -1);
        boolean[] taken = new boolean[n];
        int done = 0;
        for (int idx : order) {
            int i = idx / n;
            int j = idx % n;
            if (perm[i] >= 0 || taken[j]) continue;
            perm[i] = j;
            taken[j] = true;
            if (++done == n) break;
        }
        return perm;
    }

    /** cos(A, B[rowPerm, colPerm]) over the flattened matrices; a null permutation is the identity. */
    static double alignedCos(float[] a, float[] b, int rows, int cols, int[] rowPerm, int[] colPerm) {
        double dot = 0, aa = 0, bb = 0;
        for (int r = 0; r < rows; r++) {
            int rb = rowPerm == null ? r : rowPerm[r];
            for (int c = 0; c < cols; c++) {
                double x = a[r * cols + c];
                double y = b[rb * cols + (colPerm == null ? c : colPerm[c])];
                dot += x * y;
                aa += x * x;
                bb += y * y;
            }
        }
        return dot / Math.sqrt(aa * bb + 1e-30);
    }

    static double cos(float[] a, float[] b) {
        double dot = 0, aa = 0, bb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            aa += (double) a[i] * a[i];
            bb += (double) b[i] * b[i];
        }
        return dot / Math.sqrt(aa * bb + 1e-30);
    }

    private static void normalize(float[][] units) {
        for (float[] u : units) {
            double s = 0;
            for (float x : u) s += x * x;
            float inv = (float) (1 / Math.sqrt(s + 1e-30));
            for (int i = 0; i < u.length; i++) u[i] *= inv;
        }
    }
}
