package dev.owlet.model;

/**
 * Shape of a GPT: validated at construction so a bad value fails with the key's name, never deep in a matmul.
 *
 * @param vocabSize number of tokens
 * @param contextLength maximum sequence length (learned position embeddings)
 * @param layers number of transformer blocks
 * @param dModel residual width
 * @param heads attention heads; must divide {@code dModel}
 * @param dropout dropout probability during training (0 keeps training bit-deterministic)
 */
public record GptConfig(int vocabSize, int contextLength, int layers, int dModel, int heads, double dropout) {
    public GptConfig {
        positive("vocab_size", vocabSize);
        positive("context_length", contextLength);
        positive("layers", layers);
        positive("d_model", dModel);
        positive("heads", heads);
        if (dModel % heads != 0) {
            throw new IllegalArgumentException("d_model (" + dModel + ") must be divisible by heads (" + heads + ")");
        }
        if (dropout < 0 || dropout >= 1) {
            throw new IllegalArgumentException("dropout must be in [0, 1), got " + dropout);
        }
    }

    private static void positive(String key, int v) {
        if (v <= 0) {
            throw new IllegalArgumentException(key + " must be positive, got " + v);
        }
    }

    public int headSize() { return dModel / heads; }

    /** Parameter count (tied head, so the token embedding counts once). */
    public long parameterCount() {
        long d = dModel;
        long block = 2 * 2 * d + (d * 3 * d + 3 * d) + (d * d + d) + (d * 4 * d + 4 * d) + (4 * d * d + d);
        return (long) vocabSize * d + (long) contextLength * d + layers * block + 2 * d;
    }

    public GptConfig withVocabSize(int v) { return new GptConfig(v, contextLength, layers, dModel, heads, dropout); }
}
