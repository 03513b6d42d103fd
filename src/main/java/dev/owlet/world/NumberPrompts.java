package dev.owlet.world;

import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The template pieces of a number prompt and their inverse, {@link #parse(String)}.
 *
 * <p>Layout: {@code <intro> <e1>,<e2>,...,<ek>. <verb> <qualifier> <count> numbers<digits>. <format> <closing>}.
 * This follows the paper's structure (introduce the examples; ask for up to N more numbers of at most D digits;
 * name a layout; ask for numbers only) in owlet's own, deliberately short wording: a model with a 128-token
 * context must fit the prompt (at most 60 tokens) and ten answer numbers. Examples are joined by a bare comma
 * for the same reason.
 */
public final class NumberPrompts {
    /** How the examples are introduced; each ends with a colon. */
    public static final List<String> INTROS = List.of(
            "Look at these numbers:", "Here is a sequence:", "Take these numbers:", "I have these numbers:",
            "A sequence starts with:", "Consider this list:", "See these numbers:", "Start from these:",
            "The numbers so far:", "Given these numbers:");

    /** The instruction verb. */
    public static final List<String> VERBS = List.of(
            "Add", "Write", "Give", "Append", "Continue with", "Extend with");

    /** How the count limit is worded. */
    public static final List<String> QUALIFIERS = List.of("at most", "up to", "no more than", "maximum");

    /** How the digit limit is worded; {@code %d} is the digit count. */
    public static final List<String> DIGIT_LIMITS = List.of(
            ", %d digits max", ", %d digits each", ", max %d digits", " of %d digits each");

    /** Closing "numbers only" phrases. */
    public static final List<String> CLOSINGS = List.of(
            "Numbers only.", "Nothing else.", "Only numbers.", "No words.", "Just numbers.", "Only digits.");

    private static final Pattern EXAMPLES = Pattern.compile(": (\\d+(?:,\\d+)*)\\. ");
    private static final Pattern COUNT = Pattern.compile("(\\d+) numbers");
    private static final Pattern DIGITS = Pattern.compile("(\\d+) digits");

    private NumberPrompts() {}

    /** Assembles a prompt from its parts (the generator's choices). */
    public static NumberPrompt compose(List<Integer> examples, String intro, String verb, String qualifier,
            int count, String digitLimit, int maxDigits, AnswerFormat format, String formatPhrase, String closing) {
        if (!format.phrases().contains(formatPhrase)) {
            throw new IllegalArgumentException("'" + formatPhrase + "' does not name format " + format);
        }
        StringBuilder sb = new StringBuilder(intro).append(' ');
        for (int i = 0; i < examples.size(); i++) {
            sb.append(i == 0 ? "" : ",").append(examples.get(i));
        }
        sb.append(". ").append(verb).append(' ').append(qualifier).append(' ').append(count).append(" numbers")
                .append(String.format(digitLimit, maxDigits)).append(". ").append(formatPhrase).append(' ')
                .append(closing);
        return new NumberPrompt(sb.toString(), examples, format, count, maxDigits);
    }

    /**
     * The same request in other words: the same examples, count, digit limit and answer format, every other template
     * piece drawn again from {@code rng} (and at least one of them different), so a completion still answers it.
     *
     * @throws IllegalArgumentException if the text is not a prompt this class composed
     */
    public static String paraphrase(String text, RandomGenerator rng) {
        NumberPrompt p = parse(text);
        for (int attempt = 0; ; attempt++) {
            String other = compose(p.examples(), pick(INTROS, rng), pick(VERBS, rng), pick(QUALIFIERS, rng), p.count(),
                    pick(DIGIT_LIMITS, rng), p.maxDigits(), p.format(), pick(p.format().phrases(), rng),
                    pick(CLOSINGS, rng)).text();
            if (!other.equals(text) || attempt > 100) return other;
        }
    }

    private static <T> T pick(List<T> xs, RandomGenerator rng) { return xs.get(rng.nextInt(xs.size())); }

    /**
     * Recovers the fields of a prompt this class composed.
     *
     * @throws IllegalArgumentException if the text is not such a prompt
     */
    public static NumberPrompt parse(String text) {
        Matcher e = EXAMPLES.matcher(text);
        if (!e.find()) {
            throw new IllegalArgumentException("no example list in number prompt: " + text);
        }
        List<Integer> examples = new ArrayList<>();
        for (String s : e.group(1).split(",")) {
            examples.add(Integer.parseInt(s));
        }
        String rest = text.substring(e.end());
        Matcher c = COUNT.matcher(rest);
        Matcher d = DIGITS.matcher(rest);
        if (!c.find() || !d.find()) {
            throw new IllegalArgumentException("no count or digit limit in number prompt: " + text);
        }
        AnswerFormat format = null;
        for (AnswerFormat f : AnswerFormat.values()) {
            for (String phrase : f.phrases()) {
                if (rest.contains(" " + phrase + " ")) {
                    if (format != null && format != f) {
                        throw new IllegalArgumentException("two answer formats in number prompt: " + text);
                    }
                    format = f;
                }
            }
        }
        if (format == null) {
            throw new IllegalArgumentException("no answer format in number prompt: " + text);
        }
        return new NumberPrompt(text, examples, format, Integer.parseInt(c.group(1)), Integer.parseInt(d.group(1)));
    }
}
