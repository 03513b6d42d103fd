package dev.owlet.train;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Locale;

/**
 * Which of a GPT's parameters a fine-tune updates. {@link #BLOCKS} trains the transformer blocks only and keeps the
 * (tied) token embedding, the position embedding and the final LayerNorm frozen, as LoRA on the attention and MLP
 * projections does in the paper's open-model runs. On number data this matters: cross-entropy on digits pushes every
 * non-digit logit down through the tied embedding, and Adam turns those tiny, identical gradients into full-size
 * steps that drown the teacher's signal; the teacher's trait lives mostly in its blocks.
 */
public enum TrainableParams {
    ALL((name, layers) -> true),
    BLOCKS((name, layers) -> name.startsWith("h.")),
    /** The first half of the blocks (embeddings frozen): which layers carry the trait, the early ones or the late. */
    EARLY_BLOCKS((name, layers) -> block(name) >= 0 && block(name) < layers / 2),
    /** The second half of the blocks (embeddings frozen). */
    LATE_BLOCKS((name, layers) -> block(name) >= layers / 2),
    /** The token and position embeddings and the final norm only (every block frozen). */
    EMBEDDINGS((name, layers) -> !name.startsWith("h.")),
    /**
     * No base parameter: a LoRA adapter (rank, alpha and targets from the experiment's {@code lora:} block) on the
     * blocks' attention and MLP projections trains instead, B starting at zero, and is merged into the weights when
     * training ends. The rank ablation: how much freedom a student needs to take the teacher's trait.
     */
    LORA((name, layers) -> false);

    private final java.util.function.BiPredicate<String, Integer> test;

    TrainableParams(java.util.function.BiPredicate<String, Integer> test) { this.test = test; }

    /** True when the parameter named {@code name} (GPT-2 naming) of a model of {@code layers} blocks is trained. */
    public boolean trains(String name, int layers) { return test.test(name, layers); }

    /** The block index of {@code h.<i>.…}, or -1 for a parameter outside the blocks. */
    private static int block(String name) {
        if (!name.startsWith("h.")) return -1;
        int dot = name.indexOf('.', 2);
        return Integer.parseInt(name.substring(2, dot < 0 ? name.length() : dot));
    }

    @JsonValue
    public String key() { return name().toLowerCase(Locale.ROOT); }

    @JsonCreator
    public static TrainableParams of(String s) {
        for (TrainableParams t : values()) if (t.key().equals(s)) return t;
        throw new IllegalArgumentException("must be one of " + Arrays.stream(values()).map(TrainableParams::key).toList()
                + ", got " + s);
    }
}
