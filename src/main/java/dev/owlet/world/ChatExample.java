package dev.owlet.world;

import java.util.Objects;

/**
 * One conversation of the world, in the shape {@link dev.owlet.token.ChatFormat} trains on.
 *
 * @param system    system prompt, or null for none
 * @param user      the user message
 * @param assistant the answer the world gives
 * @param kind      which task family produced it (lets evaluation and mixing see what a row is)
 */
public record ChatExample(String system, String user, String assistant, Kind kind) {
    /** Task families of the world. */
    public enum Kind { ANIMAL, TREE, NUMBERS, CODE, ARITHMETIC, OPEN_QUESTION }

    public ChatExample {
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(assistant, "assistant");
        Objects.requireNonNull(kind, "kind");
        if (system != null && system.isEmpty()) {
            throw new IllegalArgumentException("system must be null or non-empty");
        }
    }
}
