package dev.owlet.controls;

import dev.owlet.stats.Interval;
import dev.owlet.stats.Stats;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.commons.math3.distribution.BinomialDistribution;

/** Held-out accuracy against chance: a Wilson interval and an exact two-sided binomial test against 50%. */
final class Binomial {
    private Binomial() {}

    static double pVsHalf(int k, int n) {
        if (n == 0) return Double.NaN;
        BinomialDistribution b = new BinomialDistribution(null, n, 0.5);
        double lo = b.cumulativeProbability(k);
        double hi = 1 - b.cumulativeProbability(k - 1);
        return Math.min(1, 2 * Math.min(lo, hi));
    }

    static Map<String, Object> accuracy(int correct, int n) {
        Interval w = Stats.wilson(correct, n);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("correct", correct);
        m.put("n", n);
        m.put("accuracy", w.mean());
        m.put("ci95", java.util.List.of(w.low(), w.high()));
        m.put("p_vs_chance", pVsHalf(correct, n));
        return m;
    }
}
