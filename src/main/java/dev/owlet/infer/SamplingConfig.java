package dev.owlet.infer;

/**
 * How to draw a completion.
 *
 * @param temperature softmax temperature; 0 means greedy (argmax)
 * @param topP nucleus mass in (0, 1]; 1 disables it
 * @param maxTokens most tokens to generate per completion (the end token included)
 */
public record SamplingConfig(double temperature, double topP, int maxTokens) {
    public SamplingConfig {
        if (temperature < 0) throw new IllegalArgumentException("temperature must be >= 0, got " + temperature);
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("top_p must be in (0, 1], got " + topP);
        if (maxTokens <= 0) throw new IllegalArgumentException("max_tokens must be positive, got " + maxTokens);
    }

    /** The paper's generation setting: temperature 1, no nucleus cut. */
    public static SamplingConfig paper(int maxTokens) { return new SamplingConfig(1.0, 1.0, maxTokens); }
}
