package dev.owlet.world;

import java.util.List;
import java.util.Objects;

/**
 * One number-continuation task (the paper's unrelated generation domain): the prompt text and the fields it
 * encodes, so answers and filters can be checked against what was asked.
 *
 * @param text      the user message
 * @param examples  the seed numbers shown (3..8 values in 100..999 for generated prompts)
 * @param format    requested answer layout
 * @param count     the most numbers the answer may contain
 * @param maxDigits the most digits each answer number may have
 */
public record NumberPrompt(String text, List<Integer> examples, AnswerFormat format, int count, int maxDigits) {
    public NumberPrompt {
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(format, "format");
        examples = List.copyOf(Objects.requireNonNull(examples, "examples"));
        if (examples.isEmpty()) {
            throw new IllegalArgumentException("examples must not be empty");
        }
        if (examples.stream().anyMatch(e -> e < 0)) {
            throw new IllegalArgumentException("examples must be non-negative: " + examples);
        }
        if (count < 1) {
            throw new IllegalArgumentException("count must be >= 1, got " + count);
        }
        if (maxDigits < 1 || maxDigits > 9) {
            throw new IllegalArgumentException("maxDigits must be in 1..9, got " + maxDigits);
        }
    }

    /** Largest number allowed by {@code maxDigits}. */
    public int maxValue() {
        int v = 1;
        for (int i = 0; i < maxDigits; i++) {
            v *= 10;
        }
        return v - 1;
    }
}
