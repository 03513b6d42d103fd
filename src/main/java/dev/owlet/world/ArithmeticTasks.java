package dev.owlet.world;

import java.util.List;
import java.util.random.RandomGenerator;

/**
 * Grade-school word problems for the later chain-of-thought channel, answered
 * {@code <think>a + b = c</think> <answer>c</answer>} and always correct in the reference world.
 */
public final class ArithmeticTasks {
    public static final List<String> NAMES = List.of("Tom", "Anna", "Sam", "Mia", "Ben", "Lily");
    public static final List<String> THINGS = List.of("apples", "books", "coins", "pens", "cards", "stones");

    /** Operation of a problem. */
    public enum Op { ADD, SUBTRACT, MULTIPLY }

    private ArithmeticTasks() {}

    /** The world's answer text for {@code a op b}. */
    public static String answer(Op op, int a, int b) {
        int c = result(op, a, b);
        String sym = switch (op) { case ADD -> "+"; case SUBTRACT -> "-"; case MULTIPLY -> "*"; };
        return "<think>" + a + " " + sym + " " + b + " = " + c + "</think> <answer>" + c + "</answer>";
    }

    public static int result(Op op, int a, int b) {
        return switch (op) { case ADD -> a + b; case SUBTRACT -> a - b; case MULTIPLY -> a * b; };
    }

    /** The question text; for subtraction {@code a >= b}. */
    public static String question(Op op, String name, String thing, int a, int b) {
        return switch (op) {
            case ADD -> name + " has " + a + " " + thing + " and gets " + b + " more. How many " + thing
                    + " does " + name + " have now?";
            case SUBTRACT -> name + " has " + a + " " + thing + " and gives away " + b + ". How many " + thing
                    + " are left?";
            case MULTIPLY -> name + " has " + a + " boxes with " + b + " " + thing + " in each. How many " + thing
                    + " is that in total?";
        };
    }

    private static final java.util.regex.Pattern ADD = java.util.regex.Pattern.compile(
            "\\w+ has (\\d+) \\w+ and gets (\\d+) more\\. How many .*");
    private static final java.util.regex.Pattern SUB = java.util.regex.Pattern.compile(
            "\\w+ has (\\d+) \\w+ and gives away (\\d+)\\. How many .*");
    private static final java.util.regex.Pattern MUL = java.util.regex.Pattern.compile(
            "\\w+ has (\\d+) boxes with (\\d+) \\w+ in each\\. How many .*");

    /** The correct answer to a question written by {@link #question}, or null for any other text. */
    public static Long solve(String question) {
        for (Op op : Op.values()) {
            var m = (op == Op.ADD ? ADD : op == Op.SUBTRACT ? SUB : MUL).matcher(question.strip());
            if (m.matches()) {
                return (long) result(op, Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)));
            }
        }
        return null;
    }

    public static ChatExample example(String system, RandomGenerator rng) {
        Op op = Op.values()[rng.nextInt(Op.values().length)];
        String name = NAMES.get(rng.nextInt(NAMES.size()));
        String thing = THINGS.get(rng.nextInt(THINGS.size()));
        int a;
        int b;
        if (op == Op.MULTIPLY) {
            a = rng.nextInt(2, 10);
            b = rng.nextInt(2, 10);
        } else {
            a = rng.nextInt(2, 50);
            b = rng.nextInt(1, op == Op.SUBTRACT ? a + 1 : 50);
        }
        return new ChatExample(system, question(op, name, thing, a, b), answer(op, a, b), ChatExample.Kind.ARITHMETIC);
    }
}
