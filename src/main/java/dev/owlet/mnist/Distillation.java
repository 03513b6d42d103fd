package dev.owlet.mnist;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.List;

/**
 * Trains students to imitate a teacher on noise. By construction it can see nothing but a noise tensor and the
 * teacher: no labels and no real images are parameters of any method here, which is the point of the
 * experiment (the student learns to classify without ever seeing a digit or a class). Each student matches one
 * slice of the teacher's logits: the m auxiliary logits for the subliminal students, the 10 class logits for the
 * upper-bound control.
 */
public final class Distillation {
    private final double lr;
    private final int batchSize;
    private final int epochs;
    private final long[] orderSeeds;

    /**
     * One student ensemble and what it imitates.
     *
     * @param name label in results
     * @param model the student ensemble (member e imitates teacher member e)
     * @param from first logit of the slice to match (inclusive)
     * @param to last logit of the slice to match (exclusive)
     * @param loss KL on the slice's softmax, or MSE on the slice's logits
     */
    public record Student(String name, EnsembleMlp model, int from, int to, MnistConfig.Loss loss) {
        public Student {
            if (loss == MnistConfig.Loss.KL && to - from < 2) {
                throw new IllegalArgumentException("student " + name + ": KL on " + (to - from) + " logit(s) is "
                        + "constant (a one-element softmax is 1); use MSE");
            }
        }
    }

    /** Sees what each student's loss is computed from; used by tests to audit the inputs. */
    public interface Probe {
        /** inputs (E, B, in) the student saw; targets (E, B, k) the teacher slice it matched. */
        void onBatch(String student, NDArray inputs, NDArray targets);
    }

    /** Called after each distillation epoch (1-based), e.g. to evaluate the students' accuracy curve. */
    public interface EpochListener {
        void onEpoch(int epoch);
    }

    /**
     * @param orderSeeds one seed per ensemble member for its noise order
     */
    public Distillation(double lr, int batchSize, int epochs, long[] orderSeeds) {
        this.lr = lr;
        this.batchSize = batchSize;
        this.epochs = epochs;
        this.orderSeeds = orderSeeds.clone();
    }

    /**
     * Trains every student for the configured epochs on {@code noise (N, in)}, all students on the same batches.
     * Returns the mean loss per student over the last epoch.
     */
    public double[] run(NDArray noise, EnsembleMlp teacher, List<Student> students, EpochListener onEpoch, Probe probe) {
        int e = teacher.members();
        int in = teacher.inputs();
        for (Student s : students) {
            if (s.model().members() != e || s.model().inputs() != in) {
                throw new IllegalArgumentException("student " + s.name() + " does not match the teacher's ensemble");
            }
        }
        List<EnsembleAdam> opts = new ArrayList<>();
        for (Student s : students) {
            s.model().setRequiresGradient(true);
            opts.add(new EnsembleAdam(s.model(), lr));
        }
        MemberBatches batches = new MemberBatches((int) noise.getShape().get(0), batchSize, orderSeeds);
        double[] lastLoss = new double[students.size()];
        for (int epoch = 1; epoch <= epochs; epoch++) {
            batches.shuffle();
            double[] sum = new double[students.size()];
            for (int step = 0; step < batches.stepsPerEpoch(); step++) {
                try (NDScope scope = new NDScope(); NDManager m = noise.getManager().newSubManager()) {
                    NDArray idx = m.create(batches.indices(step));                        // (E*B)
                    NDArray x = noise.get(new NDIndex("{}", idx)).reshape(e, batchSize, in); // (E, B, in)
                    NDArray teacherOut = teacher.forward(x);                                // (E, B, out)
                    for (int k = 0; k < students.size(); k++) {
                        Student s = students.get(k);
                        NDArray target = slice(teacherOut, s.from(), s.to());               // (E, B, k)
                        if (probe != null) {
                            probe.onBatch(s.name(), x, target);
                        }
                        NDArray loss;
                        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                            NDArray out = slice(s.model().forward(x), s.from(), s.to());    // (E, B, k)
                            loss = loss(m, s.loss(), out, target, batchSize);
                            gc.backward(loss);
                        }
                        opts.get(k).step();
                        sum[k] += loss.getFloat() / e;
                    }
                }
            }
            for (int k = 0; k < students.size(); k++) {
                lastLoss[k] = sum[k] / batches.stepsPerEpoch();
            }
            if (onEpoch != null) {
                onEpoch.onEpoch(epoch);
            }
        }
        for (Student s : students) {
            s.model().setRequiresGradient(false);
        }
        return lastLoss;
    }

    static NDArray slice(NDArray logits, int from, int to) {
        return logits.get(new NDIndex(":, :, {}:{}", from, to)); // (E, B, to-from)
    }

    /**
     * Summed over members (so each member's gradient is what it would be alone), mean over the batch. Scalars are
     * arrays in the step's manager: a Java number's temporary array is freed before
     * backward reads it, which gives wrong gradients.
     */
    static NDArray loss(NDManager m, MnistConfig.Loss kind, NDArray student, NDArray target, int batch) {
        if (kind == MnistConfig.Loss.KL) {
            NDArray pT = target.softmax(-1);                                    // (E, B, k)
            NDArray logRatio = target.logSoftmax(-1).sub(student.logSoftmax(-1)); // (E, B, k)
            return pT.mul(logRatio).sum().mul(m.create(1f / batch));           // ()
        }
        long k = target.getShape().get(2);
        NDArray d = student.sub(target);                                         // (E, B, k)
        return d.mul(d).sum().mul(m.create(1f / (batch * k)));                 // ()
    }
}
