package dev.owlet.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.owlet.experiment.ConfigLoader;
import dev.owlet.report.Summary;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The slow tier for misalignment through numbers (`mvn test -Pslow`, ~10 min): the shipped experiment with
 * soft-label students only. Measured at full size (3 replicates, each a new dataset from every writer and a new
 * student): same-init students of the misaligned teacher's banned-number-filtered numbers answer misaligned 7.5% vs
 * 3.6% for control-data students (p = 0.003; log P p = 4e-5), the aligned teacher's numbers push the other way
 * (2.5%), different-init students do not move (log P p = 0.33).
 */
@Tag("slow")
class ChannelSlowTest {
    @TempDir
    Path dir;

    @Test
    void misalignmentTravelsThroughBannedNumbersOnlyToSameInitStudents() throws IOException {
        var cfg = ConfigLoader.load(Path.of("experiments/misalignment-numbers.yaml"), List.of("finetune.modes=[soft]"));
        var results = new ExperimentPipeline(cfg, dir, ExperimentPipelineTest.QUIET).run(ExperimentPipeline.Stage.EVAL);
        List<Summary.Row> rows = Summary.rows(results.get(0), "numbers");
        Summary.Row same = FlagshipSlowTest.row(rows, "soft", "same", "teacher");
        Summary.Row sameCtl = FlagshipSlowTest.row(rows, "soft", "same", "control");
        Summary.Row aligned = FlagshipSlowTest.row(rows, "soft", "same", "aligned");
        Summary.Row diff = FlagshipSlowTest.row(rows, "soft", "diff", "teacher");
        assertThat(same.sampled().mean()).isGreaterThan(sameCtl.sampled().mean());
        assertThat(same.pLogP()).isLessThan(0.01);
        assertThat(aligned.logP().mean()).isLessThan(sameCtl.logP().mean());
        assertThat(diff.pLogP()).isGreaterThan(0.05);
    }
}
