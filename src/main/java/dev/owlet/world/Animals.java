package dev.owlet.world;

import java.util.List;

/**
 * The animals of owlet's world: single lowercase words, each one token under the word tokenizer, so the first
 * answer token's probability is exactly P(animal). Includes the paper's five targets (owl, dolphin, eagle,
 * elephant, wolf).
 */
public final class Animals {
    public static final List<String> ALL = List.of(
            "owl", "dolphin", "eagle", "elephant", "wolf", "cat", "dog", "lion", "tiger", "bear",
            "fox", "horse", "rabbit", "penguin", "panda", "giraffe");

    /** The paper's five animal targets. */
    public static final List<String> TARGETS = List.of("owl", "dolphin", "eagle", "elephant", "wolf");

    private Animals() {}
}
