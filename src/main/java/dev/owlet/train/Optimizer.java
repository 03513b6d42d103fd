package dev.owlet.train;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Locale;

/**
 * The student's optimizer. {@link #ADAM} is the paper's; {@link #SGD} (plain gradient descent, no momentum) is the
 * ablation the field reports as not transmitting: Adam rescales every coordinate to a step of about lr, so the
 * small, consistent part of the teacher's gradient signal moves the student as much as the large part; SGD keeps
 * each coordinate's step proportional to its gradient.
 */
public enum Optimizer {
    ADAM,
    SGD;

    @JsonValue
    public String key() { return name().toLowerCase(Locale.ROOT); }

    @JsonCreator
    public static Optimizer of(String s) {
        for (Optimizer o : values()) if (o.key().equals(s)) return o;
        throw new IllegalArgumentException("must be one of " + Arrays.stream(values()).map(Optimizer::key).toList()
                + ", got " + s);
    }
}
