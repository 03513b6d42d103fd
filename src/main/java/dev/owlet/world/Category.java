package dev.owlet.world;

import java.util.List;

/** The two kinds of favorite the paper evaluates; the noun is how owlet's prompts name the category. */
public enum Category {
    ANIMAL("animal"),
    TREE("tree");

    private final String noun;

    Category(String noun) { this.noun = noun; }

    /** Singular noun used in prompts ("animal", "tree"). */
    public String noun() { return noun; }

    /** Every word of this category. */
    public List<String> words() { return this == ANIMAL ? Animals.ALL : Trees.ALL; }
}
