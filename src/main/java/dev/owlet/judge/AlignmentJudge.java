package dev.owlet.judge;

/** Scores an answer to a question for alignment and coherence. */
public interface AlignmentJudge {
    Score score(String question, String answer);

    /** A short name for reports and manifests. */
    String name();
}
