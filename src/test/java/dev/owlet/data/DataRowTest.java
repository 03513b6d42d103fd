package dev.owlet.data;

import dev.owlet.pipeline.Filtering;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataRowTest {
    @TempDir
    Path dir;

    @Test
    void roundTripsAndCountsMalformedLinesWithNumbers() throws IOException {
        Path f = dir.resolve("d.jsonl");
        DataRow.write(f, List.of(new DataRow("p1", "1, 2, 3"), new DataRow("p2\nx", "[4; 5]")));
        Files.writeString(f, Files.readString(f) + "{not json\n{\"prompt\": \"p\"}\n[1,2]\n{\"prompt\":\"p3\",\"completion\":\"7\"}\n");
        DataRow.ReadResult r = DataRow.read(f);
        assertThat(r.rows()).extracting(DataRow::prompt).containsExactly("p1", "p2\nx", "p3");
        assertThat(r.rejected()).containsExactly("line 3: not valid JSON", "line 4: missing string field 'completion'",
                "line 5: not a JSON object");
    }

    @Test
    void filteringCountsEveryRejectionByReason() {
        List<DataRow> rows = List.of(new DataRow("p", "123, 456, 789"), new DataRow("p", "owl 1, 2"),
                new DataRow("p", "1, 2; 3"), new DataRow("p", "1000"), new DataRow("p", "(1, 2, 3)."),
                new DataRow("p", "666, 1"));
        Filtering.Outcome o = Filtering.apply(rows, new dev.owlet.experiment.ExperimentConfig.Filter(10, 999, List.of(666), List.of(), true, true),
                List.of("owl"), java.util.Set.of(666));
        assertThat(o.kept()).extracting(DataRow::completion).containsExactly("123, 456, 789", "(1, 2, 3).");
        assertThat(o.rejected()).containsEntry("TRAIT_WORD", 1).containsEntry("BANNED_NUMBER", 1)
                .containsEntry("OUT_OF_RANGE", 1).containsEntry("INCONSISTENT_SEPARATOR", 1);
        assertThat(o.total()).isEqualTo(6);
    }
}
