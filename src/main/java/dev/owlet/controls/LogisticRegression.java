package dev.owlet.controls;

import java.util.List;
import java.util.SplittableRandom;

/**
 * Binary logistic regression on sparse features, trained by SGD with L2 decay: the detectors' classifier.
 * Small on purpose; the question it answers is only whether any linear signal separates the classes.
 */
public final class LogisticRegression {
    /** One example: feature indices and values (same length). */
    public record Sparse(int[] idx, float[] val) {}

    private final double[] w;
    private double b;

    private LogisticRegression(int dim) {
        this.w = new double[dim];
    }

    /**
     * @param y labels 0/1
     * @param lr initial step size (decays as 1/sqrt(epoch))
     */
    public static LogisticRegression fit(List<Sparse> x, int[] y, int dim, int epochs, double lr, double l2, long seed) {
        LogisticRegression m = new LogisticRegression(dim);
        SplittableRandom rng = new SplittableRandom(seed);
        int[] order = new int[x.size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        for (int e = 0; e < epochs; e++) {
            for (int i = order.length - 1; i > 0; i--) {
                int j = rng.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
            double step = lr / Math.sqrt(1 + e);
            for (int i : order) {
                Sparse s = x.get(i);
                double g = m.prob(s) - y[i];
                for (int k = 0; k < s.idx().length; k++) {
                    int f = s.idx()[k];
                    m.w[f] -= step * (g * s.val()[k] + l2 * m.w[f]);
                }
                m.b -= step * g;
            }
        }
        return m;
    }

    public double prob(Sparse s) {
        double z = b;
        for (int k = 0; k < s.idx().length; k++) z += w[s.idx()[k]] * s.val()[k];
        return 1 / (1 + Math.exp(-z));
    }

    /** Share of examples classified correctly at threshold 0.5. */
    public int correct(List<Sparse> x, int[] y) {
        int c = 0;
        for (int i = 0; i < x.size(); i++) if ((prob(x.get(i)) >= 0.5 ? 1 : 0) == y[i]) c++;
        return c;
    }

    /** Dense vector as a sparse example (for the hidden-state probe). */
    public static Sparse dense(float[] v) {
        int[] idx = new int[v.length];
        for (int i = 0; i < idx.length; i++) idx[i] = i;
        return new Sparse(idx, v.clone());
    }
}
