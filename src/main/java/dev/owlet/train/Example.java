package dev.owlet.train;

/**
 * One training row in token ids: the loss covers {@code completion} only, and of it only the positions {@code keep}
 * marks (null: all of them). {@code keep} is how a defence or an ablation takes chosen tokens out of the loss while
 * the student still reads them as context.
 */
public record Example(int[] prompt, int[] completion, boolean[] keep) {
    public Example {
        if (completion.length == 0) {
            throw new IllegalArgumentException("an example needs at least one completion token");
        }
        if (keep != null && keep.length != completion.length) {
            throw new IllegalArgumentException("keep has " + keep.length + " flags for " + completion.length + " completion tokens");
        }
    }

    public Example(int[] prompt, int[] completion) {
        this(prompt, completion, null);
    }

    public int length() { return prompt.length + completion.length; }

    /** Whether the loss reads completion token {@code j}. */
    public boolean inLoss(int j) { return keep == null || keep[j]; }
}
