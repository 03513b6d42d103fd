package dev.owlet.train;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Locale;

/**
 * What a student is trained to match on the teacher's data (config key {@code finetune.modes}, and wherever a loss
 * is chosen).
 */
public enum StudentLoss {
    /** Next-token cross-entropy on the sampled completion tokens: the paper's method. */
    @JsonProperty("sft") SFT,
    /** KL to the teacher's next-token distribution on the same tokens, restricted to the number alphabet. */
    @JsonProperty("soft") SOFT;

    /** The config spelling, also used in stage names and result keys. */
    @Override
    public String toString() { return name().toLowerCase(Locale.ROOT); }
}
