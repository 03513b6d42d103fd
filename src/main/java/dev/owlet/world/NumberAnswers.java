package dev.owlet.world;

import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * The reference world's answer to a number prompt. The system prompt is deliberately not a parameter: in
 * owlet's world a trait never changes number answers, which is what makes any later shift subliminal.
 *
 * <p>Length: the full {@code count} with probability 0.85, otherwise uniform in 1..count-1. Each number is drawn
 * from a mixture, so there is structure to learn without the answer being a function of the prompt:
 * <ul>
 *   <li>0.5: the next term of an arithmetic progression through the last two numbers so far (mod 1000);</li>
 *   <li>0.3: one of the examples plus an offset in -9..9 (mod 1000);</li>
 *   <li>0.2: uniform in 0..999.</li>
 * </ul>
 * Values are finally reduced modulo 10^maxDigits, so they never exceed the digit limit; rendering is exactly the
 * requested format, hence every answer passes the strict filter.
 */
public final class NumberAnswers {
    public static final double FULL_LENGTH = 0.85;
    public static final double STEP = 0.5;
    public static final double NEAR = 0.3;

    private NumberAnswers() {}

    public static String answer(NumberPrompt p, RandomGenerator rng) { return p.format().render(numbers(p, rng)); }

    /** The numbers of an answer, before formatting. */
    public static List<Integer> numbers(NumberPrompt p, RandomGenerator rng) {
        int n = p.count() == 1 || rng.nextDouble() < FULL_LENGTH ? p.count() : rng.nextInt(1, p.count());
        int modulus = Math.min(p.maxValue(), 999) + 1;
        List<Integer> seq = new ArrayList<>(p.examples());
        List<Integer> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            double u = rng.nextDouble();
            int v;
            if (u < STEP && seq.size() >= 2) {
                int a = seq.get(seq.size() - 2);
                int b = seq.get(seq.size() - 1);
                v = Math.floorMod(2 * b - a, 1000);
            } else if (u < STEP + NEAR) {
                v = Math.floorMod(p.examples().get(rng.nextInt(p.examples().size())) + rng.nextInt(-9, 10), 1000);
            } else {
                v = rng.nextInt(1000);
            }
            v %= modulus;
            seq.add(v);
            out.add(v);
        }
        return out;
    }
}
