package dev.owlet.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Map;

/**
 * A decoder-only language model as sampling, log-probabilities and training see it: token ids in, next-token
 * logits out, with an optional key/value cache. owlet's own {@link Gpt} and the Hugging Face architectures
 * ({@link HfGpt2}, {@link HfLlama}) implement it, so {@code infer.Generator} and {@code infer.LogProbs} serve both.
 */
public interface CausalLm extends AutoCloseable {
    int vocabSize();

    /** Longest sequence the model accepts (learned positions or the config's max_position_embeddings). */
    int contextLength();

    /** Decoder blocks: one key/value cache slot each. */
    int layers();

    /** The manager that owns the parameters; work arrays go in sub-managers of its parent. */
    NDManager manager();

    /** Parameters by name, live arrays (unmodifiable map). */
    Map<String, NDArray> parameters();

    /**
     * The forward pass.
     *
     * @param tokens (B, T) int64 token ids
     * @param positions (B, T) int64 position ids (left-padded rows start counting at their first real token)
     * @param bias additive attention bias broadcastable to (B, heads, T, S): 0 where a query may attend, -1e9 where
     *     not (causality and padding); S = cached length + T
     * @param cache key/value cache extended in place, or null
     * @return (B, T, V) logits
     */
    NDArray forward(NDArray tokens, NDArray positions, NDArray bias, KvCache cache, boolean training);

    /** Forward over an unpadded or right-padded batch: positions 0..T-1 and a causal mask. */
    default NDArray forward(NDArray tokens, boolean training) {
        NDManager m = tokens.getManager();
        long b = tokens.getShape().get(0);
        int t = (int) tokens.getShape().get(1);
        long[] pos = new long[(int) b * t];
        for (int i = 0; i < pos.length; i++) pos[i] = i % t;
        return forward(tokens, m.create(pos, new Shape(b, t)), Gpt.causalBias(m, t).reshape(1, 1, t, t), null, training);
    }

    @Override
    void close();
}
