package dev.owlet.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/**
 * owlet's statistics against reference values computed independently with SciPy 1.17
 * ({@code scipy.stats.ttest_ind(a, b, equal_var=False)} and its {@code confidence_interval(0.95)};
 * {@code scipy.stats.t.ppf(0.975, n - 1)} for the one-sample interval).
 */
class StatsTest {
    static final double[] A = {0.061, 0.072, 0.058, 0.069, 0.081};
    static final double[] B = {0.031, 0.029, 0.035, 0.027, 0.033, 0.030};

    @Test
    void welchMatchesScipy() {
        Stats.Welch w = Stats.welch(A, B);
        assertThat(w.t()).isCloseTo(8.782774671548225, within(1e-9));
        assertThat(w.df()).isCloseTo(4.652310160320193, within(1e-9));
        assertThat(w.p()).isCloseTo(0.00045462335477047165, within(1e-12));
        assertThat(w.low()).isCloseTo(0.026179550488868386, within(1e-9));
        assertThat(w.high()).isCloseTo(0.04855378284446496, within(1e-9));
        assertThat(Stats.welchP(A, B)).isCloseTo(0.00045462335477047165, within(1e-12));
        // symmetric in its arguments, as a two-sided test must be
        assertThat(Stats.welchP(B, A)).isCloseTo(Stats.welchP(A, B), within(1e-15));
    }

    @Test
    void tIntervalMatchesScipy() {
        Interval i = Stats.tInterval(new double[] {0.05, 0.07, 0.06, 0.09});
        assertThat(i.mean()).isCloseTo(0.0675, within(1e-12));
        assertThat(i.low()).isCloseTo(0.04032469116203985, within(1e-9));
        assertThat(i.high()).isCloseTo(0.09467530883796016, within(1e-9));
        assertThat(i.n()).isEqualTo(4);
    }

    @Test
    void degenerateInputsSayNoTestInsteadOfInventingOne() {
        assertThat(Stats.welchP(new double[] {0.1}, B)).isNaN();
        assertThat(Stats.welchP(new double[] {0.1, 0.1}, new double[] {0.1, 0.1})).isEqualTo(1.0);
        assertThat(Stats.welch(new double[] {0.1}, B).low()).isNaN();
        assertThat(Stats.tInterval(new double[] {0.3}).method()).isEqualTo("single value");
    }
}
