package dev.owlet.mnist;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.SplittableRandom;

/**
 * Times training steps of the batched ensemble (the teacher's step: gather a batch per member, forward,
 * cross-entropy, backward, Adam) on random data, for comparison with {@code bench/mnist/mnist_torch.py}, which
 * runs the same program in Python torch.
 *
 * <p>With {@code phases} on, the step is also split with {@link System#nanoTime()} into the phases of
 * {@link Phase}. The engine runs CPU ops synchronously, so each split is the time of its own ops. The splits add a
 * few clock reads per step; the overall rate is measured either way.
 */
public final class MnistBench {
    private MnistBench() {}

    /** Parts of one step, in order. */
    public enum Phase {
        /** Index array from Java, gather of every member's batch of images and labels. */
        GATHER,
        /** Forward pass and loss, recording the graph. */
        FORWARD,
        /** Backpropagation into the parameters' gradients. */
        BACKWARD,
        /** Adam update and zeroing of the gradients. */
        OPTIMIZER,
        /** The loss copied back to Java. */
        READBACK,
        /** Closing the step's scope and sub-manager (freeing its arrays). */
        CLEANUP
    }

    /** Result of a timing run; {@code phaseSeconds} is empty unless phases were timed. */
    public record Timing(int members, int batch, int steps, double seconds, double[] phaseSeconds, long fingerprint) {
        public double stepsPerSecond() { return steps / seconds; }

        /** Mean milliseconds per step spent in {@code p}. */
        public double phaseMillis(Phase p) { return phaseSeconds[p.ordinal()] * 1e3 / steps; }
    }

    public static Timing run(int members, int batch, int hidden, int steps, int warmup) {
        return run(members, batch, hidden, steps, warmup, false);
    }

    public static Timing run(int members, int batch, int hidden, int steps, int warmup, boolean phases) {
        return run(members, batch, hidden, steps, warmup, phases, null);
    }

    /**
     * As {@link #run(int, int, int, int, int, boolean)}; with {@code profile} set, the engine's own profiler records
     * the timed steps and writes them to that file as a Chrome trace (the same operator events as
     * {@code torch.profiler} on the Python side).
     */
    public static Timing run(int members, int batch, int hidden, int steps, int warmup, boolean phases,
                             java.nio.file.Path profile) {
        int in = 784;
        int pool = 8192;
        SplittableRandom rng = new SplittableRandom(7);
        float[] xs = MnistExperiment.uniformNoise(rng.split(), pool * in);
        int[] labels = new int[pool];
        for (int i = 0; i < pool; i++) {
            labels[i] = rng.nextInt(MnistData.CLASSES);
        }
        long[] ns = new long[Phase.values().length];
        try (NDManager mgr = NDManager.newBaseManager()) {
            NDArray x0 = mgr.create(xs, new Shape(pool, in));                                          // (P, 784)
            NDArray y0 = mgr.create(MnistExperiment.oneHot(labels), new Shape(pool, MnistData.CLASSES)); // (P, 10)
            EnsembleMlp model = EnsembleMlp.init(mgr, MnistExperiment.seeds(rng.split(), members), in, hidden, 13);
            EnsembleAdam adam = new EnsembleAdam(model, 1e-3);
            model.setRequiresGradient(true);
            MemberBatches batches = new MemberBatches(pool, batch, MnistExperiment.seeds(rng.split(), members));
            batches.shuffle();
            long start = 0;
            for (int s = 0; s < warmup + steps; s++) {
                if (s == warmup) {
                    if (profile != null) {
                        ai.djl.pytorch.jni.JniUtils.startProfile(false, false, false);
                    }
                    start = System.nanoTime();
                    java.util.Arrays.fill(ns, 0);
                }
                int k = s % batches.stepsPerEpoch();
                if (k == 0) {
                    batches.shuffle();
                }
                long t0 = System.nanoTime();
                long t5;
                try (NDScope scope = new NDScope(); NDManager m = mgr.newSubManager()) {
                    NDArray idx = m.create(batches.indices(k));                                         // (E*B)
                    NDArray x = x0.get(new NDIndex("{}", idx)).reshape(members, batch, in);              // (E, B, 784)
                    NDArray y = y0.get(new NDIndex("{}", idx)).reshape(members, batch, MnistData.CLASSES); // (E, B, 10)
                    long t1 = phases ? System.nanoTime() : 0;
                    long t2;
                    NDArray loss;
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        NDArray logits = Distillation.slice(model.forward(x), 0, MnistData.CLASSES);    // (E, B, 10)
                        loss = logits.logSoftmax(-1).mul(y).sum().mul(m.create(-1f / batch));           // ()
                        t2 = phases ? System.nanoTime() : 0;
                        gc.backward(loss);
                    }
                    long t3 = phases ? System.nanoTime() : 0;
                    adam.step();
                    long t4 = phases ? System.nanoTime() : 0;
                    loss.getFloat(); // synchronise, as a training loop that logs its loss does
                    t5 = phases ? System.nanoTime() : 0;
                    if (phases) {
                        ns[0] += t1 - t0;
                        ns[1] += t2 - t1;
                        ns[2] += t3 - t2;
                        ns[3] += t4 - t3;
                        ns[4] += t5 - t4;
                    }
                }
                if (phases) {
                    ns[5] += System.nanoTime() - t5;
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            if (profile != null) {
                ai.djl.pytorch.jni.JniUtils.stopProfile(profile.toString());
            }
            double[] phaseSeconds = new double[phases ? ns.length : 0];
            for (int i = 0; i < phaseSeconds.length; i++) {
                phaseSeconds[i] = ns[i] / 1e9;
            }
            return new Timing(members, batch, steps, seconds, phaseSeconds, fingerprint(model));
        }
    }

    /** A hash of every member's weights, to check that a change to the step leaves the numbers as they were. */
    static long fingerprint(EnsembleMlp model) {
        long h = 1125899906842597L;
        for (int e = 0; e < model.members(); e++) {
            for (float w : model.memberWeights(e)) {
                h = 31 * h + Float.floatToRawIntBits(w);
            }
        }
        return h;
    }
}
