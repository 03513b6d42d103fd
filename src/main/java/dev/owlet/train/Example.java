package dev.owlet.train;

/** One training row in token ids: the loss covers {@code completion} only. */
public record Example(int[] prompt, int[] completion) {
    public Example {
        if (completion.length == 0) {
            throw new IllegalArgumentException("an example needs at least one completion token");
        }
    }

    public int length() { return prompt.length + completion.length; }
}
