package dev.owlet.stats;

import org.apache.commons.math3.distribution.NormalDistribution;
import org.apache.commons.math3.distribution.TDistribution;
import org.apache.commons.math3.stat.inference.TTest;

/**
 * The statistics owlet reports: t-intervals over questions or seeds, Wilson intervals for pooled rates, Welch's
 * two-sided t-test and Cohen's d. Nothing is rounded here; formatting happens in reports.
 */
public final class Stats {
    private Stats() {}

    public static double mean(double[] x) {
        double s = 0;
        for (double v : x) s += v;
        return s / x.length;
    }

    /** Sample standard deviation (n - 1); 0 for one value. */
    public static double sd(double[] x) {
        if (x.length < 2) return 0;
        double m = mean(x);
        double s = 0;
        for (double v : x) s += (v - m) * (v - m);
        return Math.sqrt(s / (x.length - 1));
    }

    /** Mean with a 95% Student-t interval; with one value the interval is the point (and says so). */
    public static Interval tInterval(double[] x) {
        double m = mean(x);
        if (x.length < 2) return new Interval(m, m, m, x.length, "single value");
        double half = new TDistribution(x.length - 1).inverseCumulativeProbability(0.975) * sd(x) / Math.sqrt(x.length);
        return new Interval(m, m - half, m + half, x.length, "t");
    }

    /** Wilson score interval for k successes of n: honest near 0 and 1, where the normal interval is not. */
    public static Interval wilson(long k, long n) {
        if (n == 0) return new Interval(Double.NaN, 0, 1, 0, "wilson");
        double z = new NormalDistribution().inverseCumulativeProbability(0.975);
        double p = (double) k / n;
        double den = 1 + z * z / n;
        double centre = (p + z * z / (2.0 * n)) / den;
        double half = z * Math.sqrt(p * (1 - p) / n + z * z / (4.0 * n * n)) / den;
        return new Interval(p, Math.max(0, centre - half), Math.min(1, centre + half), (int) n, "wilson");
    }

    /**
     * Welch's two-sided t-test p-value (commons-math3's unequal-variance test); NaN when either side has fewer than
     * two values. With no variance on either side the test is undefined: 1 for equal means, 0 otherwise.
     */
    public static double welchP(double[] a, double[] b) {
        if (a.length < 2 || b.length < 2) return Double.NaN;
        if (variance(a) == 0 && variance(b) == 0) return mean(a) == mean(b) ? 1.0 : 0.0;
        return new TTest().tTest(a, b);
    }

    /** Welch's comparison of two means: the difference, its 95% interval, t, degrees of freedom and p. */
    public record Welch(double difference, double low, double high, double t, double df, double p) {}

    /** Welch's t for mean(a) − mean(b) with a 95% Welch–Satterthwaite interval; NaN fields with fewer than 2 each. */
    public static Welch welch(double[] a, double[] b) {
        double diff = mean(a) - mean(b);
        if (a.length < 2 || b.length < 2) return new Welch(diff, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
        double va = variance(a) / a.length;
        double vb = variance(b) / b.length;
        double se = Math.sqrt(va + vb);
        if (se == 0) return new Welch(diff, diff, diff, Double.NaN, Double.NaN, welchP(a, b));
        double df = (va + vb) * (va + vb) / (va * va / (a.length - 1) + vb * vb / (b.length - 1));
        double half = new TDistribution(df).inverseCumulativeProbability(0.975) * se;
        return new Welch(diff, diff - half, diff + half, diff / se, df, welchP(a, b));
    }

    /** Paired two-sided t-test p-value (e.g. the same questions under two models). */
    public static double pairedP(double[] a, double[] b) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i] - b[i];
        if (d.length < 2) return Double.NaN;
        double s = sd(d);
        if (s == 0) return mean(d) == 0 ? 1.0 : 0.0;
        double t = mean(d) / (s / Math.sqrt(d.length));
        return 2 * new TDistribution(d.length - 1).cumulativeProbability(-Math.abs(t));
    }

    /** Cohen's d with the pooled standard deviation. */
    public static double cohensD(double[] a, double[] b) {
        double pooled = Math.sqrt(((a.length - 1) * variance(a) + (b.length - 1) * variance(b))
                / Math.max(1, a.length + b.length - 2));
        return pooled == 0 ? Double.NaN : (mean(a) - mean(b)) / pooled;
    }

    private static double variance(double[] x) {
        double s = sd(x);
        return s * s;
    }

    /** A uniformly random permutation of 0..n-1 (Fisher–Yates from the top), drawn from {@code rng}. */
    public static int[] permutation(int n, java.util.SplittableRandom rng) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }
}
