package dev.owlet.pretrain;

/**
 * How a reference model is made: its shape, the corpus seed, the init seed and the optimization.
 *
 * @param seed initialization seed (also orders the batches); two seeds = two different initializations
 * @param worldSeed seed of the synthetic corpus
 */
public record PretrainConfig(long seed, long worldSeed, ModelShape model, int steps, int batchSize, double lr,
                             int warmupSteps) {
    public PretrainConfig {
        if (model == null) throw new IllegalArgumentException("model is required");
        if (steps <= 0) throw new IllegalArgumentException("steps must be positive, got " + steps);
        if (batchSize <= 0) throw new IllegalArgumentException("batch_size must be positive, got " + batchSize);
        if (!(lr > 0)) throw new IllegalArgumentException("lr must be positive, got " + lr);
        if (warmupSteps < 0) throw new IllegalArgumentException("warmup_steps must be >= 0, got " + warmupSteps);
    }

    /** The GPT's size; the vocabulary comes from the world. */
    public record ModelShape(int layers, int dModel, int heads, int contextLength) {
        public ModelShape {
            if (layers <= 0) throw new IllegalArgumentException("model.layers must be positive, got " + layers);
            if (dModel <= 0) throw new IllegalArgumentException("model.d_model must be positive, got " + dModel);
            if (heads <= 0 || dModel % heads != 0) {
                throw new IllegalArgumentException("model.heads must divide model.d_model, got " + heads);
            }
            if (contextLength <= 0) throw new IllegalArgumentException("model.context_length must be positive");
        }
    }
}
