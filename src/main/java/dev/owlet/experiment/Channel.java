package dev.owlet.experiment;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Locale;

/** What the teachers write (config key {@code channel}). */
public enum Channel {
    /** Number sequences continuing a prompt's numbers: the flagship's channel. */
    @JsonProperty("numbers") NUMBERS,
    /** Short programs for the world's coding tasks. */
    @JsonProperty("code") CODE,
    /** Arithmetic word problems reasoned in {@code <think>} and answered in {@code <answer>}. */
    @JsonProperty("cot") COT;

    @Override
    public String toString() { return name().toLowerCase(Locale.ROOT); }
}
