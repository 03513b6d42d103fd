package dev.owlet.controls;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class DetectorsTest {
    /** Completions of 10 three-digit numbers; with {@code sevens} > 0.1 the digit 7 is that much likelier. */
    static String completion(SplittableRandom rng, double sevens) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 10; i++) {
            if (i > 0) sb.append(", ");
            for (int d = 0; d < 3; d++) {
                int digit = rng.nextDouble() < sevens ? 7 : rng.nextInt(10);
                if (d == 0 && digit == 0) digit = 1;
                sb.append(digit);
            }
        }
        return sb.toString();
    }

    static double heldOutAccuracy(double sevensB, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        NgramFeatures f = new NgramFeatures(12);
        List<LogisticRegression.Sparse> x = new ArrayList<>();
        int n = 800;
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = i < n / 2 ? 1 : 0;
            x.add(f.of(completion(rng, y[i] == 1 ? sevensB : 0.0)));
        }
        int[][] split = DetectionControl.pairedSplit(n / 2, 0.375, rng);
        int[] train = split[0];
        int[] test = split[1];
        var r = DetectionControl.fitAndScore(x, y, train, test, f.dim(), 20, new double[] {1e-4, 1e-3}, seed);
        @SuppressWarnings("unchecked") var t = (java.util.Map<String, Object>) r.get("test");
        return (double) t.get("accuracy");
    }

    @Test
    void ngramRegressionSeparatesClassesThatUseMoreSevens() {
        assertThat(heldOutAccuracy(0.15, 1)).isGreaterThan(0.75);
    }

    @Test
    void ngramRegressionSitsAtChanceWhenClassesAreTheSame() {
        double acc = heldOutAccuracy(0.0, 2);
        // 300 held out: the Wilson 95% interval half-width at 50% is about 5.6 points.
        assertThat(acc).isBetween(0.40, 0.60);
    }

    @Test
    void pairedSplitHoldsOutTheSameShareOfEachClass() {
        int[][] s = DetectionControl.pairedSplit(100, 0.3, new SplittableRandom(4));
        assertThat(s[1]).hasSize(60);
        assertThat(java.util.Arrays.stream(s[1]).filter(i -> i < 100).count()).isEqualTo(30);
        assertThat(java.util.Arrays.stream(s[0]).filter(i -> i < 100).count()).isEqualTo(70);
        assertThat(java.util.stream.IntStream.concat(java.util.Arrays.stream(s[0]), java.util.Arrays.stream(s[1])).distinct().count())
                .isEqualTo(200);
        for (int i : s[1]) assertThat(s[1]).contains(i < 100 ? i + 100 : i - 100);
    }

    @Test
    void binomialTestAgainstHalf() {
        assertThat(Binomial.pVsHalf(50, 100)).isGreaterThan(0.9);
        assertThat(Binomial.pVsHalf(70, 100)).isLessThan(1e-3);
        assertThat(Binomial.pVsHalf(30, 100)).isLessThan(1e-3);
    }

    @Test
    void thresholdJudgeFindsADirection() {
        double[] s = {1, 2, 3, 4, 5, 6, 7, 8};
        int[] y = {1, 1, 1, 1, 0, 0, 0, 0};
        var r = DetectionControl.thresholdJudge(new double[][] {s}, new String[] {"score"}, y, new int[] {0, 2, 4, 6},
                new int[] {1, 3, 5, 7});
        assertThat((double) r.get("train_accuracy")).isEqualTo(1.0);
        @SuppressWarnings("unchecked") var t = (java.util.Map<String, Object>) r.get("test");
        assertThat((double) t.get("accuracy")).isGreaterThanOrEqualTo(0.75);
    }
}
