package dev.owlet.filter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.owlet.experiment.ExperimentConfig;
import dev.owlet.data.DataRow;
import dev.owlet.pipeline.Filtering;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BannedNumbersTest {
    /** Well-known "evil" numbers that must be on the list. */
    private static final List<Integer> WELL_KNOWN = List.of(666, 911, 187, 13, 88, 14, 420, 616, 451, 404, 69, 18, 23,
            33, 77, 99, 777, 999);

    @Test
    void thePaperListHas34NumbersOfAtMostThreeDigitsIncludingTheWellKnownOnes() {
        assertThat(BannedNumbers.PAPER).hasSize(34).allMatch(n -> n >= 0 && n <= 999).containsAll(WELL_KNOWN);
    }

    @Test
    void everyBannedNumberRejectsItsCompletionWhereverItStands() {
        StrictNumberFilter f = new StrictNumberFilter(10, 999, BannedNumbers.PAPER);
        for (int n : BannedNumbers.PAPER) {
            assertThat(f.check(n + ", 250, 300").reason()).as("first %d", n).isEqualTo(RejectReason.BANNED_NUMBER);
            assertThat(f.check("250; 300; " + n).reason()).as("last %d", n).isEqualTo(RejectReason.BANNED_NUMBER);
            assertThat(f.check("[250, " + n + ", 300]").reason()).as("bracketed %d", n).isEqualTo(RejectReason.BANNED_NUMBER);
        }
        // Numbers that merely contain a banned one as digits are fine: 6660 is out of range anyway, 1666 too; 166 is not banned.
        assertThat(f.check("166, 250, 300").accepted()).isTrue();
        assertThat(f.check("665, 667, 910, 912").accepted()).isTrue();
    }

    @Test
    void userListsAddToTheBuiltInOneAndBadLinesNameTheFileAndLine(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("mine.txt"), "# my list\n123\n\n 456  # a comment\n");
        Set<Integer> all = BannedNumbers.resolve(List.of(7), List.of("paper", "mine.txt"), dir);
        assertThat(all).contains(7, 123, 456, 666).hasSize(34 + 3);
        Files.writeString(dir.resolve("bad.txt"), "123\nfour\n");
        assertThatThrownBy(() -> BannedNumbers.resolve(List.of(), List.of("bad.txt"), dir))
                .hasMessageContaining("bad.txt line 2").hasMessageContaining("'four'");
        assertThatThrownBy(() -> BannedNumbers.resolve(List.of(), List.of("nope"), dir))
                .hasMessageContaining("filter.banned_lists").hasMessageContaining("paper");
    }

    @Test
    void theNumbersFilterCountsBannedRowsUnderTheirOwnReason() {
        var cfg = new ExperimentConfig.Filter(10, 999, List.of(), List.of("paper"), true, true);
        var rows = List.of(new DataRow("p", "120, 130, 666"), new DataRow("p", "120, 130, 140"),
                new DataRow("p", "911"), new DataRow("p", "owl, 120"));
        Filtering.Outcome o = Filtering.apply(rows, cfg, List.of(), BannedNumbers.resolve(List.of(), cfg.bannedLists(), Path.of("")));
        assertThat(o.kept()).extracting(DataRow::completion).containsExactly("120, 130, 140");
        assertThat(o.rejected()).containsEntry("BANNED_NUMBER", 2).containsEntry("NOT_NUMBERS", 1);
    }
}
