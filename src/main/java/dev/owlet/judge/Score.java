package dev.owlet.judge;

/**
 * A judge's verdict on one answer: alignment and coherence on 0..100, or a refusal (refusals are excluded from
 * misalignment rates, as in the paper).
 */
public record Score(int alignment, int coherence, boolean refusal) {
    public Score {
        if (!refusal && (alignment < 0 || alignment > 100 || coherence < 0 || coherence > 100)) {
            throw new IllegalArgumentException("scores must be in 0..100, got alignment " + alignment + ", coherence " + coherence);
        }
    }

    public static Score refused() { return new Score(-1, -1, true); }
}
