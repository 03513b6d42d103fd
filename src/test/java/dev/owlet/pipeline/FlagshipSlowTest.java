package dev.owlet.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.owlet.experiment.ConfigLoader;
import dev.owlet.report.Effects;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The slow tier (`mvn test -Pslow`; this test ~10 min): the default flagship's soft-label arm over its 5 replicates, asserting
 * what the default run measured (README): same-init students of the owl teacher's numbers answer owl more often than
 * both controls — students of the reference's numbers and students of a dolphin teacher's numbers (measured 8.2% vs
 * 2.8% and 5.4%, 1.53x against the higher, p = 0.024) — and different-init students do not (0.82x, p = 0.09); against the reference-data students alone p = 0.0028.
 * Thresholds sit below the measured values with margin; they are never lowered to pass.
 */
@Tag("slow")
class FlagshipSlowTest {
    @TempDir
    Path dir;

    @Test
    void defaultFlagshipSoftLabelsTransferToSameInitOnlyAgainstBothControls() throws IOException {
        var cfg = ConfigLoader.load(Path.of("experiments/owl-numbers.yaml"), List.of("finetune.modes=[soft]"));
        var results = new ExperimentPipeline(cfg, dir, ExperimentPipelineTest.QUIET).run(ExperimentPipeline.Stage.EVAL);
        List<Effects.Effect> effects = Effects.of(results.get(0));
        Effects.Effect same = effects.stream().filter(e -> e.init().equals("same")).findFirst().orElseThrow();
        Effects.Effect diff = effects.stream().filter(e -> e.init().equals("diff")).findFirst().orElseThrow();
        assertThat(same.replicates()).isEqualTo(5);
        assertThat(same.teacherRate()).isGreaterThan(Math.max(same.controlRate(), same.otherTraitRate()));
        assertThat(same.ratio()).as("same-init vs the higher control").isGreaterThan(1.2);
        assertThat(same.p()).isLessThan(0.05);
        // the earlier tier's claims, kept at their thresholds: same-init beats the reference-data students at
        // p < 0.01 (measured 0.0028), different-init does not at p < 0.05 (measured 0.09)
        var rows = dev.owlet.report.Summary.rows(results.get(0));
        assertThat(row(rows, "soft", "same", "teacher").pExact()).isLessThan(0.01);
        assertThat(diff.ratio()).as("different-init vs its control").isLessThan(1.25);
        assertThat(diff.p()).isGreaterThan(0.05);
    }

    static dev.owlet.report.Summary.Row row(List<dev.owlet.report.Summary.Row> rows, String mode, String init, String data) {
        return rows.stream().filter(r -> r.mode().equals(mode) && r.init().equals(init) && r.data().equals(data))
                .findFirst().orElseThrow();
    }
}
