package dev.owlet.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The screen's AUROC and ROC curve against values counted by hand. */
class ScreenValidationTest {
    private static ScreenValidation.Pair pair(double score, boolean transferred) {
        return new ScreenValidation.Pair("d", "t", score, score, 0, 0, 1, 1, 3, transferred);
    }

    @Test
    void aurocCountsOrderedPairsWithTiesAsHalf() {
        // positives 0.9, 0.5; negatives 0.7, 0.5, 0.1: of 6 (pos, neg) pairs, 0.9 beats all 3, 0.5 beats 0.1 and ties 0.5
        ScreenValidation.Report r = ScreenValidation.report("run", 10, List.of(pair(0.9, true), pair(0.5, true),
                pair(0.7, false), pair(0.5, false), pair(0.1, false)));
        assertThat(r.auroc()).isCloseTo(4.5 / 6, within(1e-12));
        assertThat(r.positives()).isEqualTo(2);
        assertThat(r.negatives()).isEqualTo(3);
        assertThat(r.low()).isLessThan(r.auroc());
        assertThat(r.high()).isGreaterThan(r.auroc()).isLessThanOrEqualTo(1.0);
        // ROC from the strictest threshold: 0.9 (tp), 0.7 (fp), 0.5 (tp and fp together), 0.1 (fp)
        assertThat(r.roc()).extracting(p -> p[0] + "," + p[1])
                .containsExactly("0.0,0.0", "0.0,0.5", "0.3333333333333333,0.5", "0.6666666666666666,1.0", "1.0,1.0");
    }

    @Test
    void aPerfectScreenAndAReversedOneAreOneAndZero() {
        assertThat(ScreenValidation.auroc(List.of(3.0, 4.0), List.of(1.0, 2.0))).isEqualTo(1.0);
        assertThat(ScreenValidation.auroc(List.of(1.0, 2.0), List.of(3.0, 4.0))).isEqualTo(0.0);
        assertThat(ScreenValidation.auroc(List.of(), List.of(3.0))).isNaN();
    }
}
