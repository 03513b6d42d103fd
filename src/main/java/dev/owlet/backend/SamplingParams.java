package dev.owlet.backend;

import java.util.SplittableRandom;

/**
 * How to sample: {@code n} completions per request, nucleus sampling at {@code temperature}/{@code topP}, at most
 * {@code maxTokens} new tokens, and a master {@code seed} that fixes every completion.
 */
public record SamplingParams(int n, double temperature, double topP, int maxTokens, long seed) {
    public SamplingParams {
        if (n < 1 || n > 128) throw new IllegalArgumentException("n must be in [1, 128], got " + n);
        if (!(temperature >= 0 && temperature <= 2)) throw new IllegalArgumentException("temperature must be in [0, 2], got " + temperature);
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("top_p must be in (0, 1], got " + topP);
        if (maxTokens < 1) throw new IllegalArgumentException("max_tokens must be >= 1, got " + maxTokens);
    }

    /** The same parameters with another seed. */
    public SamplingParams withSeed(long s) { return new SamplingParams(n, temperature, topP, maxTokens, s); }

    /**
     * The seed of the {@code index}-th consumer of {@code seed} (request i of a batch, choice j of a request).
     * Every backend derives seeds this way, so the embedded model gives the same text directly and through
     * {@code owlet serve}.
     */
    public static long derive(long seed, long index) {
        return new SplittableRandom(seed ^ (0x9E3779B97F4A7C15L * (index + 1))).nextLong();
    }
}
