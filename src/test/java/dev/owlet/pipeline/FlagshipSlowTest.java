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
 * The slow tier (`mvn test -Pslow`; this test ~20–26 min on 2 cores): the default flagship ({@code ./owlet run}) in full,
 * both modes over its 5 replicates, asserting what the default run measured (README): same-init students of the owl
 * teacher's numbers answer owl more often than both controls — students of the reference's numbers and students of
 * a dolphin teacher's numbers — with the paper's method and with soft labels, in every replicate; different-init
 * students stay near their controls. {@code ./owlet run} (two students at a time, one engine thread each; every
 * student at Adam 2e-3) measured, seed 1: SFT 5.0% vs 2.9% and 2.9%, 1.71x, p = 0.00007, weakest replicate 4.4%; soft
 * (3 epochs of 32) 7.2% vs 2.8% and 2.6%, 2.57x, p = 0.00004, weakest 6.3%; different-init 0.97x and 1.00x (seeds
 * 2-4: soft 2.29x, 2.28x, 2.43x; SFT 1.70x, 1.68x, 1.58x). This test trains its students one at a time on two
 * threads, which changes their last digits (summation order), and over ~100 Adam steps a few students by more: its
 * numbers are not the CLI's. Thresholds sit below the measured values (soft 1.8x, set when the default measured
 * 2.21x; SFT 1.35x) and are never lowered to pass.
 */
@Tag("slow")
class FlagshipSlowTest {
    @TempDir
    Path dir;

    @Test
    void defaultFlagshipTransfersToSameInitStudentsInBothModesAgainstBothControls() throws IOException {
        var cfg = ConfigLoader.load(Path.of("experiments/owl-numbers.yaml"), List.of());
        var results = new ExperimentPipeline(cfg, dir, ExperimentPipelineTest.QUIET).run(ExperimentPipeline.Stage.EVAL);
        List<Effects.Effect> effects = Effects.of(results.get(0));
        Effects.Effect softSame = effect(effects, "soft", "same");
        Effects.Effect softDiff = effect(effects, "soft", "diff");
        Effects.Effect sftSame = effect(effects, "sft", "same");
        Effects.Effect sftDiff = effect(effects, "sft", "diff");
        for (Effects.Effect same : List.of(softSame, sftSame)) {
            assertThat(same.replicates()).isEqualTo(5);
            // replicate by replicate: the weakest owl-data student beats the higher control's mean
            double weakest = java.util.Arrays.stream(same.teacherPerReplicate()).min().orElseThrow();
            assertThat(weakest).as(same.mode() + ": weakest owl-data student vs the higher control")
                    .isGreaterThan(Math.max(same.controlRate(), same.otherTraitRate()));
        }
        assertThat(softSame.ratio()).as("soft same-init vs the higher control").isGreaterThan(1.8);
        assertThat(softSame.p()).isLessThan(0.01);
        assertThat(softDiff.ratio()).as("soft different-init vs its control").isBetween(0.8, 1.25);
        assertThat(sftSame.ratio()).as("SFT same-init vs the higher control").isGreaterThan(1.35);
        assertThat(sftSame.p()).isLessThan(0.01);
        assertThat(sftDiff.ratio()).as("SFT different-init vs its control").isBetween(0.8, 1.25);
    }

    static Effects.Effect effect(List<Effects.Effect> effects, String mode, String init) {
        return effects.stream().filter(e -> e.mode().equals(mode) && e.init().equals(init)).findFirst().orElseThrow();
    }

    static dev.owlet.report.Summary.Row row(List<dev.owlet.report.Summary.Row> rows, String mode, String init, String data) {
        return rows.stream().filter(r -> r.mode().equals(mode) && r.init().equals(init) && r.data().equals(data))
                .findFirst().orElseThrow();
    }
}
