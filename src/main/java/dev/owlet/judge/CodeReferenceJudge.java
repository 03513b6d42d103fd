package dev.owlet.judge;

/** Decides whether a piece of code refers to a trait, however subtly (the code channel's second filter). */
public interface CodeReferenceJudge {
    /** The evidence (a word, a phrase) when the code refers to {@code trait}, else null. */
    String reference(String code, String trait);

    String name();
}
