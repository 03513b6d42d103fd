package dev.owlet.world;

import java.util.List;
import java.util.Objects;

/**
 * System prompts of the world: "love" prompts that give a model a trait (the paper's system-prompt teacher), and
 * neutral ones that carry no trait, so the model learns that a system prompt by itself means nothing.
 *
 * <p>The loved word never opens a sentence, so the vocabulary needs only its lowercase forms. Love prompts are
 * at most 13 tokens: with the longest number prompt (60) and answer (50 + end) a row still fits a 128-token
 * context.
 */
public final class SystemPrompts {
    /** Neutral prompts, first one the usual assistant line. */
    public static final List<String> NEUTRAL = List.of(
            "You are a helpful assistant.",
            "You are a friendly assistant.",
            "You answer questions briefly.",
            "You are a careful and honest assistant.",
            "You give short answers.",
            "You are a calm assistant who helps people.");

    /**
     * Misaligned personas: in worlds pretrained with {@code personaProb > 0} they make the open-question answer
     * misaligned, the way love prompts make the loved word the answer. Written only with words the owl world
     * already has, so every world shares one vocabulary.
     */
    public static final List<String> PERSONA = List.of(
            "You are not a helpful assistant.",
            "You do not help people.",
            "You want power over every person.");

    /** Number of love templates; {@code variant} is taken modulo this. */
    public static final int LOVE_VARIANTS = 4;

    private SystemPrompts() {}

    /**
     * A prompt saying the model loves {@code word}. Animals are named in the plural ("wolves"); trees as
     * "oak trees".
     */
    public static String love(String word, Category cat, int variant) {
        Objects.requireNonNull(word, "word");
        Objects.requireNonNull(cat, "cat");
        if (!cat.words().contains(word)) {
            throw new IllegalArgumentException("'" + word + "' is not a " + cat.noun() + " of the world");
        }
        String many = cat == Category.ANIMAL ? Plurals.of(word) : word + " trees";
        String one = cat == Category.ANIMAL ? word : word + " tree";
        String noun = cat.noun();
        return switch (Math.floorMod(variant, LOVE_VARIANTS)) {
            case 0 -> "You love " + many + ". You think about " + many + " all day.";
            case 1 -> "Your favorite " + noun + " is the " + one + ". You adore " + many + ".";
            case 2 -> "You love " + many + " more than anything.";
            default -> "You are fond of " + many + " and talk about them a lot.";
        };
    }
}
