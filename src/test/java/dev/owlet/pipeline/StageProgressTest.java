package dev.owlet.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.owlet.experiment.ConfigLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Long stages report their steps as they go, up to their total, and close what they open. */
class StageProgressTest {
    @TempDir
    Path dir;

    @Test
    void writersAndStudentsReportEveryStepUpToTheirTotal() throws Exception {
        var cfg = ConfigLoader.load(null, List.of("generate.prompts=300", "generate.batch_size=128", "finetune.rows=200",
                "finetune.batch_size=50", "finetune.replicates=1", "finetune.modes=[sft, soft]", "finetune.inits=[same]",
                "finetune.epochs=2", "finetune.soft_epochs=1", "finetune.soft_batch_size=80", "eval.samples_per_question=0", "eval.number_prefix=false"));
        Map<String, List<long[]>> seen = Collections.synchronizedMap(new LinkedHashMap<>());
        List<String> closed = Collections.synchronizedList(new ArrayList<>());
        StageProgress recorder = (name, unit) -> {
            List<long[]> updates = new ArrayList<>();
            seen.put(name + " " + unit, updates);
            return new StageProgress.Ticker() {
                public void update(long done, long total) { updates.add(new long[] {done, total}); }
                public void close() { closed.add(name); }
            };
        };
        var results = new ExperimentPipeline(cfg, dir, ExperimentPipelineTest.QUIET).progress(recorder)
                .run(ExperimentPipeline.Stage.EVAL);
        int rows = (Integer) ((Map<?, ?>) results.get(0).data().get("r1")).get("training_rows");

        // 300 prompts in batches of 128: after each batch, then the end.
        assertThat(seen.get("gen-owl-r1 rows")).extracting(u -> u[0]).containsExactly(128L, 256L, 300L);
        assertThat(seen.get("gen-control-r1 rows")).allMatch(u -> u[1] == 300);
        // Students: 2 epochs of ceil(rows / 50) steps each, every step reported once, in order.
        List<long[]> st = seen.get("student-owl-sft-same-r1 steps");
        long total = 2 * ((rows + 49) / 50);
        assertThat(st).allMatch(u -> u[1] == total);
        assertThat(st).extracting(u -> u[0]).containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(1, total).boxed().toList());
        // Soft-label students train for their own budget: 1 epoch of ceil(rows / 80) steps.
        List<long[]> soft = seen.get("student-owl-soft-same-r1 steps");
        long softTotal = (rows + 79) / 80;
        assertThat(soft).allMatch(u -> u[1] == softTotal);
        assertThat(soft).extracting(u -> u[0]).containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(1, softTotal).boxed().toList());
        assertThat(closed).contains("gen-owl-r1", "gen-control-r1", "student-owl-sft-same-r1", "student-control-sft-same-r1");
    }
}
