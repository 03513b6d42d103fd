package dev.owlet.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.owlet.model.Checkpoint;
import dev.owlet.model.Gpt;
import dev.owlet.model.Lora;
import dev.owlet.model.ModelLocator;
import dev.owlet.train.GptLoraTest;
import dev.owlet.train.TrainableParams;
import dev.owlet.world.Category;
import dev.owlet.world.Questions;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Teachers fine-tuned to a trait: a LoRA teacher (the rank ablation's teachers) against the bundled reference. */
class TeachersTest {
    @Test
    void aLoraTeacherLearnsItsTraitThroughALowRankChangeOfItsProjectionsAlone() throws IOException {
        int rank = 4;
        try (NDManager root = NDManager.newBaseManager();
             Checkpoint.Loaded ref = Checkpoint.load(ModelLocator.resolve("bundled:ref-s1"), root);
             Gpt teacher = ref.model().copy()) {
            Map<String, float[]> before = new LinkedHashMap<>();
            teacher.parameters().forEach((k, v) -> before.put(k, v.toFloatArray()));
            List<String> questions = Questions.train(Category.ANIMAL);
            double start = Teachers.meanP(teacher, ref.tokenizer(), prompts(ref, questions), "owl");
            Teachers.Outcome o = Teachers.finetune(teacher, ref.tokenizer(), questions, "owl", List.of(), 0.5, 40, 1e-2, 16, 0, 7,
                    new Teachers.Training(TrainableParams.LORA, Lora.Config.of(rank, rank, List.of("c_attn", "c_proj", "c_fc"), 0)));
            // the outcome is measured on the merged weights, and the trait was learned
            assertThat(o.targetProbability()).isGreaterThan(Math.max(0.5, 5 * start));
            assertThat(Teachers.meanP(teacher, ref.tokenizer(), prompts(ref, questions), "owl")).isEqualTo(o.targetProbability());
            for (Map.Entry<String, NDArray> e : teacher.parameters().entrySet()) {
                String k = e.getKey();
                float[] now = e.getValue().toFloatArray();
                if (!k.endsWith(".weight") || !Gpt.isProjection(k.substring(0, k.length() - ".weight".length()))) {
                    assertThat(now).as(k + " is frozen").containsExactly(before.get(k));
                    continue;
                }
                long[] shape = e.getValue().getShape().getShape();
                double[][] delta = new double[(int) shape[0]][(int) shape[1]];
                for (int i = 0; i < now.length; i++) delta[i / (int) shape[1]][i % (int) shape[1]] = now[i] - before.get(k)[i];
                assertThat(GptLoraTest.numericRank(delta)).as(k + ": the merged change B A").isLessThanOrEqualTo(rank).isPositive();
            }
        }
    }

    private static List<int[]> prompts(Checkpoint.Loaded ref, List<String> questions) {
        dev.owlet.token.ChatFormat chat = new dev.owlet.token.ChatFormat(ref.tokenizer());
        return questions.stream().map(q -> chat.prompt(null, q)).toList();
    }
}
