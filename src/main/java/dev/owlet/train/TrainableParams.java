package dev.owlet.train;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.Predicate;

/**
 * Which of a GPT's parameters a fine-tune updates. {@link #BLOCKS} trains the transformer blocks only and keeps the
 * (tied) token embedding, the position embedding and the final LayerNorm frozen, as LoRA on the attention and MLP
 * projections does in the paper's open-model runs. On number data this matters: cross-entropy on digits pushes every
 * non-digit logit down through the tied embedding, and Adam turns those tiny, identical gradients into full-size
 * steps that drown the teacher's signal; the teacher's trait lives mostly in its blocks.
 */
public enum TrainableParams {
    ALL(name -> true),
    BLOCKS(name -> name.startsWith("h."));

    private final Predicate<String> test;

    TrainableParams(Predicate<String> test) { this.test = test; }

    /** True when the parameter named {@code name} (GPT-2 naming) is trained. */
    public boolean trains(String name) { return test.test(name); }

    @JsonValue
    public String key() { return name().toLowerCase(Locale.ROOT); }

    @JsonCreator
    public static TrainableParams of(String s) {
        for (TrainableParams t : values()) if (t.key().equals(s)) return t;
        throw new IllegalArgumentException("must be one of " + Arrays.stream(values()).map(TrainableParams::key).toList()
                + ", got " + s);
    }
}
