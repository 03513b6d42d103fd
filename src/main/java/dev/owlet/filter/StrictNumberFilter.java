package dev.owlet.filter;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The paper's strict filter for number completions (the number-sequence setting of Cloud et al.): only a bare list of small integers
 * survives, so a student trained on what is left cannot be reading the trait from the text.
 *
 * <p>Procedure, following the logic of the paper's public code:
 * <ol>
 *   <li>drop one trailing {@code '.'}, then one pair of enclosing {@code []} or {@code ()};</li>
 *   <li>the separator is the exact text between the first two digit runs; stripped of whitespace it must be
 *       empty (whitespace or newlines), {@code ","} or {@code ";"};</li>
 *   <li>splitting on that exact separator must leave only non-empty digit runs (so mixed separators, a trailing
 *       separator, or spaces before the first number are rejected, as in the official code);</li>
 *   <li>at most {@code maxCount} numbers, each at most {@code maxValue}, none banned.</li>
 * </ol>
 *
 * <p>Decisions where the official code is silent or lenient: the official parser accepts leading zeros and
 * judges only the value, so {@code "007"} is accepted as 7 here too. It does not count digits; owlet additionally
 * rejects a number written with more digits than {@code maxValue} has ({@code "0123"} when the maximum is 999),
 * because the prompts ask for "at most 3 digits" and a padded number disobeys that. No leading or trailing
 * whitespace is trimmed (the official code does not trim either). Values are never negative: '-' is not a
 * digit, so a minus sign makes the text fail as {@link RejectReason#NOT_NUMBERS}.
 */
public final class StrictNumberFilter {
    private static final Pattern DIGITS = Pattern.compile("\\d+");
    private static final Pattern DANGLING = Pattern.compile("\\d+[\\s,;]+");

    private final int maxCount;
    private final int maxValue;
    private final int maxDigits;
    private final Set<Integer> banned;

    public StrictNumberFilter(int maxCount, int maxValue, Set<Integer> banned) {
        if (maxCount < 1) {
            throw new IllegalArgumentException("maxCount must be >= 1, got " + maxCount);
        }
        if (maxValue < 0) {
            throw new IllegalArgumentException("maxValue must be >= 0, got " + maxValue);
        }
        this.maxCount = maxCount;
        this.maxValue = maxValue;
        this.maxDigits = Integer.toString(maxValue).length();
        this.banned = Set.copyOf(banned);
    }

    /** The paper's default: up to 10 numbers in 0..999, nothing banned. */
    public static StrictNumberFilter standard() { return new StrictNumberFilter(10, 999, Set.of()); }

    public int maxCount() { return maxCount; }

    public int maxValue() { return maxValue; }

    public Set<Integer> banned() { return banned; }

    public FilterResult check(String completion) {
        String text = completion;
        if (text.endsWith(".")) {
            text = text.substring(0, text.length() - 1);
        }
        if (text.length() >= 2 && ((text.startsWith("[") && text.endsWith("]"))
                || (text.startsWith("(") && text.endsWith(")")))) {
            text = text.substring(1, text.length() - 1);
        }
        if (text.isEmpty()) {
            return FilterResult.reject(RejectReason.EMPTY);
        }
        Matcher m = DIGITS.matcher(text);
        List<int[]> runs = new ArrayList<>();
        while (m.find() && runs.size() < 2) {
            runs.add(new int[] {m.start(), m.end()});
        }
        if (runs.isEmpty()) {
            return FilterResult.reject(text.isBlank() ? RejectReason.EMPTY : RejectReason.NOT_NUMBERS);
        }
        List<String> parts;
        if (runs.size() == 1) {
            String only = text.substring(runs.get(0)[0], runs.get(0)[1]);
            if (!only.equals(text)) {
                return FilterResult.reject(classifyStray(text, true));
            }
            parts = List.of(only);
        } else {
            String separator = text.substring(runs.get(0)[1], runs.get(1)[0]);
            String core = separator.strip();
            if (!(core.isEmpty() || core.equals(",") || core.equals(";"))) {
                return FilterResult.reject(separator.chars().anyMatch(Character::isLetter)
                        ? RejectReason.NOT_NUMBERS : RejectReason.BAD_SEPARATOR);
            }
            parts = List.of(text.split(Pattern.quote(separator), -1));
            for (int i = 0; i < parts.size(); i++) {
                String p = parts.get(i);
                if (p.isEmpty() || !p.chars().allMatch(c -> c >= '0' && c <= '9')) {
                    boolean last = i == parts.size() - 1;
                    return FilterResult.reject(p.isEmpty()
                            ? (last ? RejectReason.TRAILING_SEPARATOR : RejectReason.INCONSISTENT_SEPARATOR)
                            : classifyStray(p, last));
                }
            }
        }
        List<Integer> numbers = new ArrayList<>(parts.size());
        boolean outOfRange = false;
        boolean tooManyDigits = false;
        for (String p : parts) {
            String significant = p.replaceFirst("^0+(?=\\d)", "");
            if (significant.length() > 9) {
                outOfRange = true;
                numbers.add(Integer.MAX_VALUE);
                continue;
            }
            int v = Integer.parseInt(significant);
            numbers.add(v);
            outOfRange |= v > maxValue;
            tooManyDigits |= p.length() > maxDigits;
        }
        if (numbers.size() > maxCount) {
            return FilterResult.reject(RejectReason.TOO_MANY, numbers);
        }
        if (outOfRange) {
            return FilterResult.reject(RejectReason.OUT_OF_RANGE, numbers);
        }
        if (tooManyDigits) {
            return FilterResult.reject(RejectReason.TOO_MANY_DIGITS, numbers);
        }
        if (numbers.stream().anyMatch(banned::contains)) {
            return FilterResult.reject(RejectReason.BANNED_NUMBER, numbers);
        }
        return FilterResult.accept(numbers);
    }

    /** Anything other than digits, ',', ';' and whitespace. */
    private static boolean hasForeign(String s) {
        return s.chars().anyMatch(c -> !(Character.isDigit(c) || c == ',' || c == ';' || Character.isWhitespace(c)));
    }

    /** A piece that is not a bare digit run: foreign text, a dangling separator at the end, or stray ones. */
    private static RejectReason classifyStray(String piece, boolean atEnd) {
        if (hasForeign(piece)) {
            return RejectReason.NOT_NUMBERS;
        }
        return atEnd && DANGLING.matcher(piece).matches()
                ? RejectReason.TRAILING_SEPARATOR : RejectReason.INCONSISTENT_SEPARATOR;
    }
}
