package dev.owlet.controls;

import static org.assertj.core.api.Assertions.assertThat;

import dev.owlet.data.DataRow;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ShufflesTest {
    static final List<DataRow> ROWS = List.of(
            new DataRow("p1", "123, 456, 789, 12"),
            new DataRow("p2", "[5; 6; 7]"),
            new DataRow("p3", "401\n402\n403\n404."),
            new DataRow("p4", "(9 8 7 6 5)"),
            new DataRow("p5", "007, 070, 700"));

    static List<String> all(List<DataRow> rows) {
        List<String> out = new ArrayList<>();
        for (DataRow r : rows) out.addAll(Shuffles.numbers(r.completion()));
        Collections.sort(out);
        return out;
    }

    @Test
    void withinKeepsEachRowsNumbersAndFormatAndChangesOrder() {
        List<DataRow> s = Shuffles.within(ROWS, new SplittableRandom(1));
        for (int i = 0; i < ROWS.size(); i++) {
            DataRow a = ROWS.get(i);
            DataRow b = s.get(i);
            assertThat(b.prompt()).isEqualTo(a.prompt());
            assertThat(Shuffles.skeleton(b.completion())).isEqualTo(Shuffles.skeleton(a.completion()));
            List<String> na = new ArrayList<>(Shuffles.numbers(a.completion()));
            List<String> nb = new ArrayList<>(Shuffles.numbers(b.completion()));
            assertThat(nb).isNotEqualTo(na);
            Collections.sort(na);
            Collections.sort(nb);
            assertThat(nb).isEqualTo(na);
        }
    }

    @Test
    void acrossKeepsTheDatasetsMultisetAndEachRowsCountAndFormat() {
        List<DataRow> s = Shuffles.across(ROWS, new SplittableRandom(2));
        assertThat(all(s)).isEqualTo(all(ROWS));
        int moved = 0;
        for (int i = 0; i < ROWS.size(); i++) {
            assertThat(Shuffles.skeleton(s.get(i).completion())).isEqualTo(Shuffles.skeleton(ROWS.get(i).completion()));
            assertThat(Shuffles.numbers(s.get(i).completion())).hasSameSizeAs(Shuffles.numbers(ROWS.get(i).completion()));
            if (!s.get(i).completion().equals(ROWS.get(i).completion())) moved++;
        }
        assertThat(moved).isGreaterThanOrEqualTo(4);
    }

    @Test
    void shufflesAreSeeded() {
        assertThat(Shuffles.across(ROWS, new SplittableRandom(3))).isEqualTo(Shuffles.across(ROWS, new SplittableRandom(3)));
        assertThat(Shuffles.within(ROWS, new SplittableRandom(3))).isEqualTo(Shuffles.within(ROWS, new SplittableRandom(3)));
    }
}
