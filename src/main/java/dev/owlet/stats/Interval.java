package dev.owlet.stats;

/** A point estimate with a two-sided 95% interval; {@code n} is what the interval is over (questions, seeds). */
public record Interval(double mean, double low, double high, int n, String method) {
    /**
     * As a percentage with its interval. Precision follows the size, so a rare event (a misaligned answer at
     * 0.003%) is printed as what it is, never rounded to 0.0%.
     */
    public String pct() {
        double m = Math.max(Math.abs(mean), Math.max(Math.abs(low), Math.abs(high)));
        String f = m >= 0.01 ? "%.1f" : m >= 1e-4 ? "%.3f" : "%.2e";
        if (m == 0) f = "%.1f";
        return String.format(f + "%% [" + f + ", " + f + "]", 100 * mean, 100 * low, 100 * high);
    }
}
