package dev.owlet.mnist;

/**
 * Everything that decides an MNIST subliminal-learning run. Validated at construction; messages name the key.
 *
 * <p>Two presets, both measured on Fashion-MNIST with 10 pairs, m = 3, KL, 2 CPU cores. {@link #defaults()} is
 * the paper's (Adam 3e-4, batch 1024, 5 + 5 epochs): same-init student 52.9% ± 9.9 vs different-init 10.5% ± 2.4,
 * 233 s. {@link #prototype()} is the owlet prototype's protocol (Adam 1e-3, 60k noise images) with batch 256
 * instead of 128 to halve per-step overhead: 65.3% ± 7.4 vs 10.0% ± 2.4, 269 s; it also learns from far fewer
 * images, which is why the reduced-size real-data test uses it.
 *
 * @param members ensemble size E: independent teacher/student pairs trained at once
 * @param auxLogits m: extra outputs beyond the 10 class logits, never trained on labels
 * @param loss how students match the teacher's auxiliary logits
 * @param hidden width of both hidden layers (paper: 256)
 * @param teacherEpochs epochs of cross-entropy training on the class logits
 * @param distillEpochs epochs of distillation on noise
 * @param lr Adam learning rate (no weight decay, constant)
 * @param batchSize examples per member per step
 * @param noiseImages size of the fixed uniform-noise set the students train on
 * @param trainLimit use only the first N training images (0 = all; for tests and quick runs)
 * @param testLimit evaluate on only the first N test images (0 = all)
 * @param seed root seed; every random choice derives from it
 */
public record MnistConfig(int members, int auxLogits, Loss loss, int hidden, int teacherEpochs, int distillEpochs,
                          double lr, int batchSize, int noiseImages, int trainLimit, int testLimit, long seed) {

    /** Distillation loss on the auxiliary logits. */
    public enum Loss {
        /** KL(teacher softmax || student softmax) over the m auxiliary logits (the paper's). */
        KL,
        /** Mean squared error between auxiliary logits (works for m = 1). */
        MSE
    }

    public MnistConfig {
        if (members < 1) throw new IllegalArgumentException("members must be >= 1, got " + members);
        if (auxLogits < 1) throw new IllegalArgumentException("m (aux_logits) must be >= 1, got " + auxLogits);
        if (loss == null) throw new IllegalArgumentException("loss must be kl or mse");
        if (loss == Loss.KL && auxLogits == 1) {
            throw new IllegalArgumentException("m (aux_logits) = 1 with loss kl carries no signal: a one-element "
                    + "softmax is constant, so the KL is 0 for any student; use --loss mse or m >= 2");
        }
        if (hidden < 1) throw new IllegalArgumentException("hidden must be >= 1, got " + hidden);
        if (teacherEpochs < 1) throw new IllegalArgumentException("epochs must be >= 1, got " + teacherEpochs);
        if (distillEpochs < 1) throw new IllegalArgumentException("distill_epochs must be >= 1, got " + distillEpochs);
        if (!(lr > 0) || lr > 1) throw new IllegalArgumentException("lr must be in (0, 1], got " + lr);
        if (batchSize < 1) throw new IllegalArgumentException("batch_size must be >= 1, got " + batchSize);
        if (noiseImages < batchSize) {
            throw new IllegalArgumentException("noise_images must be >= batch_size (" + batchSize + "), got " + noiseImages);
        }
        if (trainLimit < 0) throw new IllegalArgumentException("train_limit must be >= 0, got " + trainLimit);
        if (testLimit < 0) throw new IllegalArgumentException("test_limit must be >= 0, got " + testLimit);
    }

    /** The paper's settings: Adam 3e-4, batch 1024, 5 + 5 epochs, m = 3, KL; 10 pairs (the paper trains 25). */
    public static MnistConfig defaults() {
        return new MnistConfig(10, 3, Loss.KL, 256, 5, 5, 3e-4, 1024, 60_000, 0, 0, 1);
    }

    /** The owlet prototype's optimizer (Adam 1e-3) at batch 256: more steps, learns more from less data. */
    public static MnistConfig prototype() {
        return defaults().withOptimizer(1e-3, 256);
    }

    /** Output width: 10 class logits then m auxiliary logits. */
    public int outputs() { return MnistData.CLASSES + auxLogits; }

    public MnistConfig withMembers(int e) {
        return new MnistConfig(e, auxLogits, loss, hidden, teacherEpochs, distillEpochs, lr, batchSize, noiseImages,
                trainLimit, testLimit, seed);
    }

    public MnistConfig withAux(int m, Loss l) {
        return new MnistConfig(members, m, l, hidden, teacherEpochs, distillEpochs, lr, batchSize, noiseImages,
                trainLimit, testLimit, seed);
    }

    public MnistConfig withEpochs(int teacher, int distill) {
        return new MnistConfig(members, auxLogits, loss, hidden, teacher, distill, lr, batchSize, noiseImages,
                trainLimit, testLimit, seed);
    }

    public MnistConfig withOptimizer(double rate, int batch) {
        return new MnistConfig(members, auxLogits, loss, hidden, teacherEpochs, distillEpochs, rate, batch, noiseImages,
                trainLimit, testLimit, seed);
    }

    public MnistConfig withSizes(int noise, int train, int test) {
        return new MnistConfig(members, auxLogits, loss, hidden, teacherEpochs, distillEpochs, lr, batchSize, noise,
                train, test, seed);
    }

    public MnistConfig withSeed(long s) {
        return new MnistConfig(members, auxLogits, loss, hidden, teacherEpochs, distillEpochs, lr, batchSize,
                noiseImages, trainLimit, testLimit, s);
    }
}
