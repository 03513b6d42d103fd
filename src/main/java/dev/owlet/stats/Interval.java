package dev.owlet.stats;

/** A point estimate with a two-sided 95% interval; {@code n} is what the interval is over (questions, seeds). */
public record Interval(double mean, double low, double high, int n, String method) {
    public String pct() {
        return String.format("%.1f%% [%.1f, %.1f]", 100 * mean, 100 * low, 100 * high);
    }
}
