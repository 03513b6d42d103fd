package dev.owlet.eval;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import dev.owlet.model.Checkpoint;
import dev.owlet.model.ModelLocator;
import dev.owlet.world.Animals;
import dev.owlet.world.Category;
import dev.owlet.world.Questions;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TraitEvaluatorTest {
    @Test
    void samplingOnlyTheHeldOutQuestionsDrawsTheirAnswersExactlyAsSamplingEveryQuestion() throws IOException {
        List<String> qs = Questions.all(Category.ANIMAL);
        int from = Questions.train(Category.ANIMAL).size();
        try (NDManager root = NDManager.newBaseManager();
             Checkpoint.Loaded m = Checkpoint.load(ModelLocator.resolve("bundled:ref-s1"), root)) {
            TraitEvaluator ev = new TraitEvaluator(m.model(), m.tokenizer());
            TraitEvaluator.Measurement all = ev.measure(qs, null, "owl", Animals.ALL, 20, 4, 3);
            TraitEvaluator.Measurement held = ev.measure(qs, null, "owl", Animals.ALL, 20, 4, 3, from);
            assertThat(held.exactPerQuestion()).containsExactly(all.exactPerQuestion());
            assertThat(held.sampledPerQuestion()).hasSize(qs.size() - from)
                    .containsExactly(Arrays.copyOfRange(all.sampledPerQuestion(), from, qs.size()));
            assertThat(held.sampledByWord().get("dog"))
                    .containsExactly(Arrays.copyOfRange(all.sampledByWord().get("dog"), from, qs.size()));
            // the record reads the held-out rates from either the same way
            EvalRecord a = withHeldOut(EvalRecord.of("m", all, null), from);
            EvalRecord h = withHeldOut(EvalRecord.of("m", held, null), from);
            assertThat(h.sampledFrom()).isEqualTo(from);
            assertThat(a.sampledFrom()).isZero();
            assertThat(h.heldOutSampledPerQuestion()).containsExactly(a.heldOutSampledPerQuestion());
            assertThat(h.heldOutSampled()).isEqualTo(a.heldOutSampled());
            assertThat(a.heldOutSampledPerQuestion()).hasSize(qs.size() - from);
        }
    }

    private static EvalRecord withHeldOut(EvalRecord r, int from) {
        return new EvalRecord(r.model(), r.target(), r.exact(), r.sampled(), r.conditional(), r.meanLogP(), r.prefixExact(),
                r.distribution(), r.samplesPerQuestion(), r.exactByWord(), r.sampledByWord(), Map.of(), from);
    }
}
