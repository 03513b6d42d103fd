package dev.owlet.mnist;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import java.util.List;
import java.util.SplittableRandom;

/**
 * E independent MLPs {@code in - hidden - hidden - out} (ReLU) held as one batched tensor program: every weight has
 * a leading ensemble dimension, {@code W: (E, in, out)}, and layers are {@code batchMatMul}s, so one step trains all
 * members at once (as the paper does for its 25 pairs) while no member's output or gradient depends on another's.
 *
 * <p>Initialization is the paper's: {@code W ~ N(0, 1/sqrt(fan_in))} (standard deviation), zero biases. Member
 * {@code e}'s weights come only from {@code memberSeeds[e]} through a {@link SplittableRandom} in Java, so "the same
 * initialization" means the same seed, bit for bit, independent of the engine and of E.
 */
public final class EnsembleMlp implements AutoCloseable {
    private final NDManager manager;
    private final int members;
    private final int[] widths;
    private final long[] memberSeeds;
    private final List<NDArray> params; // W1 (E,in,h) b1 (E,1,h) W2 (E,h,h) b2 (E,1,h) W3 (E,h,out) b3 (E,1,out)

    private EnsembleMlp(NDManager manager, int[] widths, long[] memberSeeds, List<NDArray> params) {
        this.manager = manager;
        this.members = memberSeeds.length;
        this.widths = widths.clone();
        this.memberSeeds = memberSeeds.clone();
        this.params = params;
    }

    /** A fresh ensemble, one member per seed, with layer widths {@code in, hidden, hidden, out}. */
    public static EnsembleMlp init(NDManager parent, long[] memberSeeds, int in, int hidden, int out) {
        int[] widths = {in, hidden, hidden, out};
        int e = memberSeeds.length;
        float[][] w = new float[3][];
        for (int l = 0; l < 3; l++) {
            w[l] = new float[e * widths[l] * widths[l + 1]];
        }
        for (int k = 0; k < e; k++) {
            SplittableRandom rng = new SplittableRandom(memberSeeds[k]);
            for (int l = 0; l < 3; l++) {
                int fanIn = widths[l];
                int size = fanIn * widths[l + 1];
                double std = 1.0 / Math.sqrt(fanIn);
                for (int i = 0; i < size; i++) {
                    w[l][k * size + i] = (float) (rng.nextGaussian() * std);
                }
            }
        }
        NDManager m = parent.newSubManager();
        List<NDArray> params = new java.util.ArrayList<>();
        for (int l = 0; l < 3; l++) {
            params.add(m.create(w[l], new Shape(e, widths[l], widths[l + 1])));  // W: (E, in, out)
            params.add(m.zeros(new Shape(e, 1, widths[l + 1])));                   // b: (E, 1, out)
        }
        return new EnsembleMlp(m, widths, memberSeeds, List.copyOf(params));
    }

    /** Logits for a batch per member: x (E, B, in) to (E, B, out). */
    public NDArray forward(NDArray x) {
        NDArray h = x;                                                       // (E, B, in)
        for (int l = 0; l < 3; l++) {
            h = h.batchMatMul(params.get(2 * l)).add(params.get(2 * l + 1));  // (E, B, widths[l+1])
            if (l < 2) {
                h = Activation.relu(h);                                         // (E, B, hidden)
            }
        }
        return h;                                                            // (E, B, out)
    }

    /** Marks all parameters as trainable (or not); torch then records their gradients. */
    public void setRequiresGradient(boolean on) {
        params.forEach(p -> p.setRequiresGradient(on));
    }

    /** The parameters in layer order (W1, b1, W2, b2, W3, b3); live arrays, updated in place by training. */
    public List<NDArray> parameters() { return params; }

    /** All parameters of member {@code e}, flattened in layer order (for tests and fingerprints). */
    public float[] memberWeights(int e) {
        try (NDScope scope = new NDScope()) {
            NDList parts = new NDList();
            for (NDArray p : params) {
                parts.add(p.get(e).flatten());
            }
            return NDArrays.concat(parts).toFloatArray();
        }
    }

    public int members() { return members; }

    public long[] memberSeeds() { return memberSeeds.clone(); }

    public int inputs() { return widths[0]; }

    public int outputs() { return widths[3]; }

    public NDManager manager() { return manager; }

    @Override
    public void close() { manager.close(); }
}
