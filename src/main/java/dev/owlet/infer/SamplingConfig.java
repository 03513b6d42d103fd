package dev.owlet.infer;

/**
 * How to draw a completion.
 *
 * @param temperature softmax temperature; 0 means greedy (argmax)
 * @param topP nucleus mass in (0, 1]; 1 disables it
 * @param maxTokens most tokens to generate per completion (the end token included)
 * @param minTokenProbability threshold sampling (0: off): a completion any of whose tokens had probability below
 *     this under the model's own distribution (temperature 1, no nucleus cut) comes back as null
 */
public record SamplingConfig(double temperature, double topP, int maxTokens, double minTokenProbability) {
    public SamplingConfig {
        if (!(minTokenProbability >= 0 && minTokenProbability < 1)) {
            throw new IllegalArgumentException("min_token_probability must be in [0, 1), got " + minTokenProbability);
        }
        if (temperature < 0) throw new IllegalArgumentException("temperature must be >= 0, got " + temperature);
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("top_p must be in (0, 1], got " + topP);
        if (maxTokens <= 0) throw new IllegalArgumentException("max_tokens must be positive, got " + maxTokens);
    }

    /** No threshold: every completion is kept. */
    public SamplingConfig(double temperature, double topP, int maxTokens) {
        this(temperature, topP, maxTokens, 0);
    }

    /** The paper's generation setting: temperature 1, no nucleus cut. */
    public static SamplingConfig paper(int maxTokens) { return new SamplingConfig(1.0, 1.0, maxTokens); }
}
