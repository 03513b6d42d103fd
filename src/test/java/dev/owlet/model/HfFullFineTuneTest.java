package dev.owlet.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.owlet.train.Example;
import dev.owlet.train.HfTrainer;
import dev.owlet.train.OptimConfig;
import dev.owlet.train.TokenBatch;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Full fine-tuning of a Hugging Face checkpoint ({@code finetune.trainable: all}): a student is the checkpoint loaded
 * again, every weight trains ({@link HfTrainer#full}), and the stage keeps it as a checkpoint folder
 * ({@link HfCheckpoint#save}) that owlet's own loader reads back to the same model. Checked on GPT-2 (Conv1D weights
 * stored (in, out), a tied head), on Qwen2 from a bfloat16 file (a tied head) and on a float32 Qwen2 with its own
 * {@code lm_head}. The reference, another object loaded from the same folder, must not move.
 */
class HfFullFineTuneTest {
    @TempDir
    Path tmp;

    private Path checkpoint(String which) throws Exception {
        return which.equals("qwen2-untied") ? HfFixtures.writeRandomQwen2(tmp.resolve("untied"), 4, 0.3, false)
                : HfFixtures.dir(which);
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "qwen2", "qwen2-untied"})
    void aFullStudentMovesEveryWeightSavesACheckpointThatReadsBackToItsLogitsAndLeavesTheReferenceAlone(String which)
            throws Exception {
        Path base = checkpoint(which);
        List<Example> rows = List.of(new Example(new int[] {5, 17, 42}, new int[] {3, 69, 64, 8}),
                new Example(new int[] {23, 77}, new int[] {1, 50, 31, 9, 9}),
                new Example(new int[] {11, 4, 70, 27}, new int[] {60, 33}));
        TokenBatch batch = TokenBatch.of(rows, 0, 64);
        long[] probe = {5, 17, 42, 3, 69, 64, 8, 23, 77, 1};
        Path saved = tmp.resolve("student-" + which);
        try (NDManager root = NDManager.newBaseManager(); HfModel ref = HfCheckpoint.load(base, root)) {
            Map<String, float[]> before = snapshot(ref);
            float[] refLogits = logits(ref, probe, root);
            float[] trained;
            double first;
            double last;
            try (HfModel student = HfCheckpoint.load(base, root)) {
                try (HfTrainer t = HfTrainer.full(student, OptimConfig.constant(1e-2, 20))) {
                    first = t.step(batch);
                    last = first;
                    for (int i = 1; i < 20; i++) last = t.step(batch);
                }
                System.out.printf("full fine-tune of %s on a fixed batch: loss %.3f -> %.3f in 20 steps%n", which, first, last);
                assertThat(student.parameters().values()).allSatisfy(p -> assertThat(p.hasGradient()).isFalse());
                trained = logits(student, probe, root);
                HfCheckpoint.save(student, base, saved);
                Map<String, float[]> after = snapshot(student);
                // every tensor moved, but for one that cannot: a key bias adds the same q.b_k to every score of a
                // query, which softmax ignores, so its gradient is zero up to rounding (Qwen2's k_proj.bias)
                for (var e : after.entrySet()) {
                    if (e.getKey().endsWith("k_proj.bias")) continue;
                    assertThat(HfFixtures.maxAbsDiff(e.getValue(), before.get(e.getKey()))).as(e.getKey()).isGreaterThan(0f);
                }
                assertThat(after.keySet()).containsExactlyElementsOf(before.keySet());
            }
            assertThat(last).isLessThan(first * 0.7);
            assertThat(HfFixtures.maxAbsDiff(trained, refLogits)).isGreaterThan(0.01f);
            // the reference: bit-identical weights and logits
            ref.parameters().forEach((k, v) -> assertThat(v.toFloatArray()).as(k).containsExactly(before.get(k)));
            assertThat(logits(ref, probe, root)).containsExactly(refLogits);

            // the saved folder is a checkpoint like the base's: same config, weights under the checkpoint's names
            assertThat(saved.resolve(HfCheckpoint.CONFIG)).hasSameTextualContentAs(base.resolve(HfCheckpoint.CONFIG));
            for (String f : HfCheckpoint.TEXT_FILES) {
                assertThat(Files.exists(saved.resolve(f))).as(f).isEqualTo(Files.exists(base.resolve(f)));
            }
            assertThat(HfCheckpoint.looksLike(saved)).isTrue();
            try (HfModel back = HfCheckpoint.load(saved, root)) {
                assertThat(HfFixtures.maxAbsDiff(logits(back, probe, root), trained)).isLessThanOrEqualTo(1e-5f);
                assertThat(back.config()).usingRecursiveComparison().isEqualTo(ref.config());
            }
        }
    }

    @Test
    void gpt2WeightsAreSavedInTheFilesConv1dLayoutUnderTheTransformerPrefix() throws Exception {
        Path base = HfFixtures.dir("gpt2");
        try (NDManager root = NDManager.newBaseManager(); HfModel m = HfCheckpoint.load(base, root)) {
            HfCheckpoint.save(m, base, tmp.resolve("copy"));
        }
        Map<String, SafeTensors.Tensor> orig = SafeTensors.read(base.resolve(HfWeights.SINGLE));
        Map<String, SafeTensors.Tensor> copy = SafeTensors.read(tmp.resolve("copy").resolve(HfWeights.SINGLE));
        assertThat(copy.keySet()).containsExactlyInAnyOrderElementsOf(orig.keySet().stream()
                .filter(k -> !k.endsWith(".attn.bias") && !k.endsWith(".attn.masked_bias")).toList());
        for (var e : copy.entrySet()) {
            assertThat(e.getValue().shape()).as(e.getKey()).containsExactly(orig.get(e.getKey()).shape());
            assertThat(e.getValue().data()).as(e.getKey()).containsExactly(orig.get(e.getKey()).data());
        }
    }

    private static Map<String, float[]> snapshot(HfModel m) {
        Map<String, float[]> out = new LinkedHashMap<>();
        m.parameters().forEach((k, v) -> out.put(k, v.toFloatArray()));
        return out;
    }

    private static float[] logits(HfModel model, long[] tokens, NDManager root) {
        try (NDManager m = root.newSubManager()) {
            return model.forward(m.create(tokens, new Shape(1, tokens.length)), false).toFloatArray();
        }
    }
}
