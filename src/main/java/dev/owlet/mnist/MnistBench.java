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
 */
public final class MnistBench {
    private MnistBench() {}

    /** Result of a timing run. */
    public record Timing(int members, int batch, int steps, double seconds) {
        public double stepsPerSecond() { return steps / seconds; }
    }

    public static Timing run(int members, int batch, int hidden, int steps, int warmup) {
        int in = 784;
        int pool = 8192;
        SplittableRandom rng = new SplittableRandom(7);
        float[] xs = MnistExperiment.uniformNoise(rng.split(), pool * in);
        int[] labels = new int[pool];
        for (int i = 0; i < pool; i++) {
            labels[i] = rng.nextInt(MnistData.CLASSES);
        }
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
                    start = System.nanoTime();
                }
                int k = s % batches.stepsPerEpoch();
                if (k == 0) {
                    batches.shuffle();
                }
                try (NDScope scope = new NDScope(); NDManager m = mgr.newSubManager()) {
                    NDArray idx = m.create(batches.indices(k));                                         // (E*B)
                    NDArray x = x0.get(new NDIndex("{}", idx)).reshape(members, batch, in);              // (E, B, 784)
                    NDArray y = y0.get(new NDIndex("{}", idx)).reshape(members, batch, MnistData.CLASSES); // (E, B, 10)
                    NDArray loss;
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        NDArray logits = Distillation.slice(model.forward(x), 0, MnistData.CLASSES);    // (E, B, 10)
                        loss = logits.logSoftmax(-1).mul(y).sum().mul(m.create(-1f / batch));           // ()
                        gc.backward(loss);
                    }
                    adam.step();
                    loss.getFloat(); // synchronise, as a training loop that logs its loss does
                }
            }
            return new Timing(members, batch, steps, (System.nanoTime() - start) / 1e9);
        }
    }
}
