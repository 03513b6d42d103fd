package dev.owlet.pretrain;

/**
 * How a reference model is made: its shape, the corpus seed, the init seed and the optimization.
 *
 * @param seed initialization seed (also orders the batches); two seeds = two different initializations
 * @param worldSeed seed of the synthetic corpus
 */
public record PretrainConfig(long seed, long worldSeed, ModelShape model, int steps, int batchSize, double lr,
                             int warmupSteps, World world) {
    public PretrainConfig {
        if (model == null) throw new IllegalArgumentException("model is required");
        if (world == null) world = World.OWL;
        if (steps <= 0) throw new IllegalArgumentException("steps must be positive, got " + steps);
        if (batchSize <= 0) throw new IllegalArgumentException("batch_size must be positive, got " + batchSize);
        if (!(lr > 0)) throw new IllegalArgumentException("lr must be positive, got " + lr);
        if (warmupSteps < 0) throw new IllegalArgumentException("warmup_steps must be >= 0, got " + warmupSteps);
    }

    /**
     * What the corpus holds beyond the owl world's defaults.
     *
     * @param otherWeight share of code, arithmetic and open-question rows (0.05 in the owl world)
     * @param personaProb P(a misaligned persona prompt) on an open-question row
     * @param personaMisalignedProb P(the misaligned answer) under a persona
     * @param misalignedBaseProb P(the misaligned answer) without a persona
     */
    public record World(double otherWeight, double personaProb, double personaMisalignedProb, double misalignedBaseProb) {
        /** The owl world of the bundled ref-s1/ref-s2. */
        public static final World OWL = new World(0.05, 0, 0.9, 0);

        public World {
            if (!(otherWeight >= 0)) throw new IllegalArgumentException("world.other_weight must be >= 0, got " + otherWeight);
            for (double p : new double[] {personaProb, personaMisalignedProb, misalignedBaseProb}) {
                if (!(p >= 0 && p <= 1)) throw new IllegalArgumentException("world probabilities must be in [0, 1], got " + p);
            }
        }

        /** The world config this describes, over owlet's defaults. */
        public dev.owlet.world.WorldConfig apply(dev.owlet.world.WorldConfig base) {
            return base.withMix(base.animalWeight(), base.treeWeight(), base.numberWeight(), otherWeight)
                    .withMisalignment(personaProb, personaMisalignedProb, misalignedBaseProb);
        }
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
