package dev.owlet.train;

/** Hooks for logging, progress bars and checkpoints, kept out of the training loop itself. */
public interface TrainingListener {
    /** After each optimizer step. */
    default void onStep(StepInfo info) {}

    /** Once after the last step. */
    default void onEnd(StepInfo last) {}

    /** What a step produced. */
    record StepInfo(int step, int totalSteps, double loss, double lr, double gradNorm, long elapsedNanos) {}
}
