package dev.owlet.world;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * Draws number prompts like the paper's generator: 3..8 example numbers in 100..999 and a random choice of
 * every template piece. The RNG is injected, so a seed fixes the whole prompt set.
 */
public final class NumberPromptGenerator {
    public static final int MIN_EXAMPLES = 3;
    public static final int MAX_EXAMPLES = 8;
    public static final int MIN_EXAMPLE = 100;
    public static final int MAX_EXAMPLE = 999;

    private final RandomGenerator rng;
    private final int count;
    private final int maxDigits;

    /** Prompts asking for up to 10 numbers of at most 3 digits (the paper's setting). */
    public NumberPromptGenerator(RandomGenerator rng) { this(rng, 10, 3); }

    public NumberPromptGenerator(RandomGenerator rng, int count, int maxDigits) {
        this.rng = Objects.requireNonNull(rng, "rng");
        if (count < 1 || count > 99) {
            throw new IllegalArgumentException("count must be in 1..99, got " + count);
        }
        if (maxDigits < 1 || maxDigits > 9) {
            throw new IllegalArgumentException("maxDigits must be in 1..9, got " + maxDigits);
        }
        this.count = count;
        this.maxDigits = maxDigits;
    }

    public NumberPrompt next() {
        int k = rng.nextInt(MIN_EXAMPLES, MAX_EXAMPLES + 1);
        List<Integer> examples = new ArrayList<>(k);
        for (int i = 0; i < k; i++) {
            examples.add(rng.nextInt(MIN_EXAMPLE, MAX_EXAMPLE + 1));
        }
        AnswerFormat format = pick(List.of(AnswerFormat.values()));
        return NumberPrompts.compose(examples, pick(NumberPrompts.INTROS), pick(NumberPrompts.VERBS),
                pick(NumberPrompts.QUALIFIERS), count, pick(NumberPrompts.DIGIT_LIMITS), maxDigits, format,
                pick(format.phrases()), pick(NumberPrompts.CLOSINGS));
    }

    private <T> T pick(List<T> xs) { return xs.get(rng.nextInt(xs.size())); }
}
