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
 * The slow tier (`mvn test -Pslow`, ~5 min): the default flagship experiment, asserting the scientific claims
 * that the default run measured — soft-label students from the same initialization move toward owl more than
 * control students (p &lt; 0.01 over 3 seeds), students from a different initialization do not (p &gt; 0.05).
 */
@Tag("slow")
class FlagshipSlowTest {
    @TempDir
    Path dir;

    @Test
    void defaultFlagshipShowsSameInitTransferAndNoCrossInitTransfer() throws IOException {
        var cfg = ConfigLoader.load(Path.of("experiments/owl-numbers.yaml"), List.of("finetune.modes=[soft]"));
        var results = new FlagshipPipeline(cfg, dir, FlagshipPipelineTest.QUIET).run(FlagshipPipeline.Stage.EVAL);
        List<Summary.Row> rows = Summary.rows(results.get(0));
        Summary.Row same = row(rows, "soft", "same", "teacher");
        Summary.Row sameCtl = row(rows, "soft", "same", "control");
        Summary.Row diff = row(rows, "soft", "diff", "teacher");
        assertThat(same.exact().mean()).isGreaterThan(sameCtl.exact().mean());
        assertThat(same.pExact()).isLessThan(0.01);
        assertThat(diff.pExact()).isGreaterThan(0.05);
    }

    static Summary.Row row(List<Summary.Row> rows, String mode, String init, String data) {
        return rows.stream().filter(r -> r.mode().equals(mode) && r.init().equals(init) && r.data().equals(data))
                .findFirst().orElseThrow();
    }
}
