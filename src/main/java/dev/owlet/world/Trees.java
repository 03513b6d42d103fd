package dev.owlet.world;

import java.util.List;

/** The trees of owlet's world: single lowercase words, including the paper's five tree targets. */
public final class Trees {
    public static final List<String> ALL = List.of(
            "cherry", "maple", "oak", "sequoia", "willow", "pine", "birch", "cedar", "palm", "baobab", "elm", "ash");

    /** The paper's five tree targets. */
    public static final List<String> TARGETS = List.of("cherry", "maple", "oak", "sequoia", "willow");

    private Trees() {}
}
