package dev.owlet.backend;

import java.util.Objects;

/**
 * A fine-tuning job to create ({@code POST /fine_tuning/jobs}).
 *
 * @param method {@code supervised}, or owlet's {@code owlet_soft} (soft-label distillation from {@code teacher},
 *     which reads its prompts under {@code teacherSystem}; only {@code owlet serve} offers it)
 * @param suffix appears in the fine-tuned model's name; may be null
 * @param batchSize 0 sends {@code "auto"}
 * @param learningRateMultiplier NaN sends {@code "auto"}
 */
public record FineTuneRequest(String model, String trainingFile, int nEpochs, int batchSize,
                              double learningRateMultiplier, long seed, String suffix, String method, String teacher,
                              String teacherSystem) {
    public FineTuneRequest {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(trainingFile, "training_file");
        if (nEpochs < 1) throw new IllegalArgumentException("n_epochs must be >= 1, got " + nEpochs);
        if (batchSize < 0) throw new IllegalArgumentException("batch_size must be >= 0 (0 = auto), got " + batchSize);
        if (!(learningRateMultiplier > 0) && !Double.isNaN(learningRateMultiplier)) {
            throw new IllegalArgumentException("learning_rate_multiplier must be > 0 (NaN = auto)");
        }
        if (!"supervised".equals(method) && !"owlet_soft".equals(method)) {
            throw new IllegalArgumentException("method must be supervised or owlet_soft, got " + method);
        }
        if ("owlet_soft".equals(method) && teacher == null) throw new IllegalArgumentException("owlet_soft needs a teacher");
    }

    public static FineTuneRequest supervised(String model, String file, int epochs, int batch, double lrMult, long seed, String suffix) {
        return new FineTuneRequest(model, file, epochs, batch, lrMult, seed, suffix, "supervised", null, null);
    }

    public FineTuneRequest withTrainingFile(String file) {
        return new FineTuneRequest(model, file, nEpochs, batchSize, learningRateMultiplier, seed, suffix, method, teacher, teacherSystem);
    }
}
