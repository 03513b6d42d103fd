package dev.owlet.world;

import java.util.List;
import java.util.stream.Collectors;

/**
 * How a number prompt asks the answer to be laid out; each format has two short instruction phrases and one
 * exact rendering, and every rendering passes {@link dev.owlet.filter.StrictNumberFilter}.
 */
public enum AnswerFormat {
    COMMA(", ", "", "", "Use commas.", "Comma separated."),
    SEMICOLON("; ", "", "", "Use semicolons.", "Semicolon separated."),
    SPACE(" ", "", "", "Use spaces.", "Space separated."),
    LINES("\n", "", "", "One per line.", "Line by line."),
    BRACKETS(", ", "[", "]", "In brackets.", "Inside brackets."),
    PARENTHESES(", ", "(", ")", "In parentheses.", "Inside parentheses.");

    private final String separator;
    private final String open;
    private final String close;
    private final List<String> phrases;

    AnswerFormat(String separator, String open, String close, String... phrases) {
        this.separator = separator;
        this.open = open;
        this.close = close;
        this.phrases = List.of(phrases);
    }

    /** Instruction phrases naming this format; each is unique across formats, so a prompt can be parsed back. */
    public List<String> phrases() { return phrases; }

    /** The exact answer text for these numbers. */
    public String render(List<Integer> numbers) {
        return numbers.stream().map(String::valueOf).collect(Collectors.joining(separator, open, close));
    }
}
