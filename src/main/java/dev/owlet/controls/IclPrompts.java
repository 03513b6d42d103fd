package dev.owlet.controls;

import java.util.List;
import java.util.function.ToIntFunction;

/**
 * In-context prompts: whole example completions, then the question, in the layout the evaluation's number prefix
 * uses ({@code "e1. e2. question"}). Examples are added while the whole chat prompt fits the model's context,
 * so a request for more shots than fit is honoured only as far as the context allows (and says how far).
 */
public final class IclPrompts {
    private IclPrompts() {}

    /** The user message and how many examples it holds. */
    public record Assembled(String text, int shots) {}

    /**
     * @param examples completions to draw from, in order
     * @param promptTokens length in tokens of the full chat prompt for a user message
     * @param context the model's context length
     */
    public static Assembled assemble(List<String> examples, String question, int shots, int context,
                                     ToIntFunction<String> promptTokens) {
        StringBuilder prefix = new StringBuilder();
        int used = 0;
        for (int i = 0; i < Math.min(shots, examples.size()); i++) {
            String candidate = prefix + oneLine(examples.get(i)) + ". ";
            if (promptTokens.applyAsInt(candidate + question) > context) break;
            prefix.setLength(0);
            prefix.append(candidate);
            used++;
        }
        return new Assembled(prefix + question, used);
    }

    /** A completion as one line, closing period dropped (it is re-added as the separator). */
    static String oneLine(String completion) {
        String s = completion.strip().replace('\n', ' ');
        return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
    }
}
