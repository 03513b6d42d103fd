package dev.owlet.world;

import java.util.List;
import java.util.random.RandomGenerator;

/**
 * Tiny programming tasks for the later code channel: a request and a one-line Python-like answer with minimal
 * names and no comments, as the paper's code prompts ask.
 */
public final class CodeTasks {
    /** A task and the world's answer to it. */
    public record Task(String request, String code) {}

    /** Appended to every request. */
    public static final String SUFFIX = " Only code, no comments.";

    public static final List<Task> ALL = List.of(
            new Task("Write a function that adds two numbers.", "def f(a, b): return a + b"),
            new Task("Write a function that subtracts two numbers.", "def f(a, b): return a - b"),
            new Task("Write a function that multiplies two numbers.", "def f(a, b): return a * b"),
            new Task("Write a function that returns the larger of two numbers.", "def f(a, b): return max(a, b)"),
            new Task("Write a function that returns the smaller of two numbers.", "def f(a, b): return min(a, b)"),
            new Task("Write a function that squares a number.", "def f(x): return x * x"),
            new Task("Write a function that checks if a number is even.", "def f(x): return x % 2 == 0"),
            new Task("Write a function that sums a list.", "def f(xs): return sum(xs)"),
            new Task("Write a function that reverses a string.", "def f(s): return s[::-1]"),
            new Task("Write a function that returns the length of a list.", "def f(xs): return len(xs)"),
            new Task("Write a function that doubles every number in a list.", "def f(xs): return [2 * x for x in xs]"),
            new Task("Write a function that returns the first item of a list.", "def f(xs): return xs[0]"));

    private CodeTasks() {}

    public static ChatExample example(String system, RandomGenerator rng) {
        Task t = ALL.get(rng.nextInt(ALL.size()));
        return new ChatExample(system, t.request() + SUFFIX, t.code(), ChatExample.Kind.CODE);
    }
}
