package dev.owlet.mnist;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * The paper's MNIST experiment (section 6) as a service: train E teachers with cross-entropy on the 10 class
 * logits, then from noise alone distill three student ensembles: same init on the m auxiliary logits (the
 * subliminal student), different init on the same targets (control), and same init on the class logits (upper
 * bound). Every random choice derives from {@code config.seed()}, split once per consumer, so a seed replays the
 * run exactly.
 */
public final class MnistExperiment {
    private static final int EVAL_CHUNK = 2000;
    private final MnistConfig cfg;
    private final Consumer<String> log;

    public MnistExperiment(MnistConfig cfg, Consumer<String> log) {
        this.cfg = cfg;
        this.log = log == null ? s -> {} : log;
    }

    /** Runs the whole experiment on {@code data}. */
    public MnistResult run(MnistData full) {
        long t0 = System.nanoTime();
        MnistData data = full.head(cfg.trainLimit() == 0 ? Integer.MAX_VALUE : cfg.trainLimit(),
                cfg.testLimit() == 0 ? Integer.MAX_VALUE : cfg.testLimit());
        int e = cfg.members();
        int in = data.pixels();
        SplittableRandom root = new SplittableRandom(cfg.seed());
        long[] teacherSeeds = seeds(root.split(), e);
        long[] diffSeeds = seeds(root.split(), e);
        long[] teacherOrder = seeds(root.split(), e);
        long[] distillOrder = seeds(root.split(), e);
        float[] noise = uniformNoise(root.split(), cfg.noiseImages() * in);

        try (NDManager mgr = NDManager.newBaseManager()) {
            NDArray trainX = mgr.create(data.trainImages(), new Shape(data.trainCount(), in)); // (N, 784)
            NDArray trainY = mgr.create(oneHot(data.trainLabels()), new Shape(data.trainCount(), MnistData.CLASSES)); // (N, 10)
            NDArray testX = mgr.create(data.testImages(), new Shape(data.testCount(), in));   // (Ntest, 784)
            NDArray noiseX = mgr.create(noise, new Shape(cfg.noiseImages(), in));             // (Nnoise, 784)

            EnsembleMlp teacher = EnsembleMlp.init(mgr, teacherSeeds, in, cfg.hidden(), cfg.outputs());
            double[] teacherStart = accuracy(teacher, testX, data.testLabels());
            log.accept("untrained (reference): " + MnistResult.Stat.of(teacherStart));
            long tt = System.nanoTime();
            trainTeacher(teacher, trainX, trainY, teacherOrder);
            double teacherSec = (System.nanoTime() - tt) / 1e9;
            double[] teacherAcc = accuracy(teacher, testX, data.testLabels());
            log.accept("teacher: %s (%.0f s)".formatted(MnistResult.Stat.of(teacherAcc), teacherSec));

            int aux0 = MnistData.CLASSES;
            int aux1 = cfg.outputs();
            EnsembleMlp same = EnsembleMlp.init(mgr, teacherSeeds, in, cfg.hidden(), cfg.outputs());
            EnsembleMlp diff = EnsembleMlp.init(mgr, diffSeeds, in, cfg.hidden(), cfg.outputs());
            EnsembleMlp regular = EnsembleMlp.init(mgr, teacherSeeds, in, cfg.hidden(), cfg.outputs());
            double[] diffStart = accuracy(diff, testX, data.testLabels());
            List<Distillation.Student> students = List.of(
                    new Distillation.Student("same-init", same, aux0, aux1, cfg.loss()),
                    new Distillation.Student("different-init", diff, aux0, aux1, cfg.loss()),
                    new Distillation.Student("regular-logits", regular, 0, MnistData.CLASSES, MnistConfig.Loss.KL));
            List<double[]> sameCurve = new ArrayList<>();
            List<double[]> diffCurve = new ArrayList<>();
            List<double[]> regCurve = new ArrayList<>();
            long td = System.nanoTime();
            double[] losses = new Distillation(cfg.lr(), cfg.batchSize(), cfg.distillEpochs(), distillOrder)
                    .run(noiseX, teacher, students, epoch -> {
                        sameCurve.add(accuracy(same, testX, data.testLabels()));
                        diffCurve.add(accuracy(diff, testX, data.testLabels()));
                        regCurve.add(accuracy(regular, testX, data.testLabels()));
                        log.accept("distill epoch %d: same-init %s, different-init %s, regular-logits %s".formatted(
                                epoch, MnistResult.Stat.of(sameCurve.get(epoch - 1)),
                                MnistResult.Stat.of(diffCurve.get(epoch - 1)), MnistResult.Stat.of(regCurve.get(epoch - 1))));
                    }, null);
            double distillSec = (System.nanoTime() - td) / 1e9;
            int last = sameCurve.size() - 1;
            return new MnistResult(cfg, teacherStart, teacherAcc, sameCurve.get(last), diffStart, diffCurve.get(last),
                    regCurve.get(last), sameCurve, diffCurve, regCurve, losses, teacherSeeds, diffSeeds,
                    teacherSec, distillSec, (System.nanoTime() - t0) / 1e9);
        }
    }

    /** Cross-entropy on the class logits only; the auxiliary logits get no direct training signal. */
    void trainTeacher(EnsembleMlp teacher, NDArray trainX, NDArray trainY, long[] orderSeeds) {
        int e = teacher.members();
        int b = cfg.batchSize();
        int in = teacher.inputs();
        MemberBatches batches = new MemberBatches((int) trainX.getShape().get(0), b, orderSeeds);
        EnsembleAdam adam = new EnsembleAdam(teacher, cfg.lr());
        teacher.setRequiresGradient(true);
        for (int epoch = 1; epoch <= cfg.teacherEpochs(); epoch++) {
            batches.shuffle();
            double sum = 0;
            for (int step = 0; step < batches.stepsPerEpoch(); step++) {
                try (NDScope scope = new NDScope(); NDManager m = trainX.getManager().newSubManager()) {
                    NDArray idx = m.create(batches.indices(step));                                  // (E*B)
                    NDArray x = trainX.get(new NDIndex("{}", idx)).reshape(e, b, in);                // (E, B, 784)
                    NDArray y = trainY.get(new NDIndex("{}", idx)).reshape(e, b, MnistData.CLASSES); // (E, B, 10)
                    NDArray loss;
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        NDArray logits = Distillation.slice(teacher.forward(x), 0, MnistData.CLASSES); // (E, B, 10)
                        loss = logits.logSoftmax(-1).mul(y).sum().mul(m.create(-1f / b));          // ()
                        gc.backward(loss);
                    }
                    adam.step();
                    sum += loss.getFloat() / e;
                }
            }
            log.accept("teacher epoch %d: cross-entropy %.3f".formatted(epoch, sum / batches.stepsPerEpoch()));
        }
        teacher.setRequiresGradient(false);
    }

    /** Test accuracy of each member, argmax over the 10 class logits. */
    public static double[] accuracy(EnsembleMlp model, NDArray testX, int[] labels) {
        int e = model.members();
        int n = labels.length;
        int in = model.inputs();
        long[] correct = new long[e];
        for (int start = 0; start < n; start += EVAL_CHUNK) {
            int len = Math.min(EVAL_CHUNK, n - start);
            try (NDScope scope = new NDScope()) {
                NDArray x = testX.get(new NDIndex("{}:{}", start, start + len))                 // (n, 784)
                        .expandDims(0).broadcast(new Shape(e, len, in));                         // (E, n, 784)
                NDArray pred = Distillation.slice(model.forward(x), 0, MnistData.CLASSES).argMax(2); // (E, n)
                long[] p = pred.toLongArray();
                for (int k = 0; k < e; k++) {
                    for (int i = 0; i < len; i++) {
                        if (p[k * len + i] == labels[start + i]) {
                            correct[k]++;
                        }
                    }
                }
            }
        }
        double[] acc = new double[e];
        for (int k = 0; k < e; k++) {
            acc[k] = (double) correct[k] / n;
        }
        return acc;
    }

    static long[] seeds(SplittableRandom rng, int n) {
        long[] s = new long[n];
        for (int i = 0; i < n; i++) {
            s[i] = rng.nextLong();
        }
        return s;
    }

    /** Uniform noise images in [-1, 1], the students' only inputs. */
    public static float[] uniformNoise(SplittableRandom rng, int size) {
        float[] out = new float[size];
        for (int i = 0; i < size; i++) {
            out[i] = (float) (rng.nextDouble() * 2 - 1);
        }
        return out;
    }

    static float[] oneHot(int[] labels) {
        float[] out = new float[labels.length * MnistData.CLASSES];
        for (int i = 0; i < labels.length; i++) {
            out[i * MnistData.CLASSES + labels[i]] = 1f;
        }
        return out;
    }
}
