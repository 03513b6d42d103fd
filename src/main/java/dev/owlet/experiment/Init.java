package dev.owlet.experiment;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Locale;

/** Where a student starts (config key {@code finetune.inits}). */
public enum Init {
    /** From the reference, the teacher's own starting point: the condition under which the trait transfers. */
    @JsonProperty("same") SAME,
    /** From the different-initialization base: the cross-model control. */
    @JsonProperty("diff") DIFF;

    @Override
    public String toString() { return name().toLowerCase(Locale.ROOT); }
}
