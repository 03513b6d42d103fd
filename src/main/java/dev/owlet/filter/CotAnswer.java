package dev.owlet.filter;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses a chain-of-thought completion {@code <think>...</think> <answer>N</answer>}: exactly one think block,
 * then exactly one answer block holding one integer, nothing else around them but whitespace. Anything else is
 * rejected with a reason, so the CoT filter can count why rows were dropped.
 */
public final class CotAnswer {
    /** Why a completion was rejected (or {@code OK}). */
    public enum Reason { OK, MISSING_THINK, MISSING_ANSWER, TWO_ANSWERS, NON_NUMERIC_ANSWER, MALFORMED }

    /** The parse: a reason, and for {@code OK} the reasoning text and the integer answer. */
    public record Parsed(Reason reason, String think, long answer) {
        public boolean ok() { return reason == Reason.OK; }
    }

    private static final Pattern ANSWER = Pattern.compile("<answer>(.*?)</answer>", Pattern.DOTALL);
    private static final Pattern THINK = Pattern.compile("<think>(.*?)</think>", Pattern.DOTALL);
    private static final Pattern WHOLE = Pattern.compile(
            "\\s*<think>(.*?)</think>\\s*<answer>(.*?)</answer>\\s*", Pattern.DOTALL);
    private static final Pattern INTEGER = Pattern.compile("-?\\d{1,15}");

    private CotAnswer() {}

    public static Parsed parse(String text) {
        int answers = count(ANSWER.matcher(text));
        int openAnswers = count(Pattern.compile("<answer>").matcher(text));
        if (answers == 0 && openAnswers == 0) return reject(Reason.MISSING_ANSWER);
        if (answers > 1 || openAnswers > 1) return reject(Reason.TWO_ANSWERS);
        if (answers == 0) return reject(Reason.MALFORMED); // <answer> never closed
        int thinks = count(THINK.matcher(text));
        if (thinks == 0) return reject(Reason.MISSING_THINK);
        Matcher w = WHOLE.matcher(text);
        if (thinks > 1 || !w.matches()) return reject(Reason.MALFORMED);
        String a = w.group(2).trim();
        if (!INTEGER.matcher(a).matches()) return reject(Reason.NON_NUMERIC_ANSWER);
        return new Parsed(Reason.OK, w.group(1).trim(), Long.parseLong(a));
    }

    private static Parsed reject(Reason r) { return new Parsed(r, null, 0); }

    private static int count(Matcher m) {
        int n = 0;
        while (m.find()) n++;
        return n;
    }
}
