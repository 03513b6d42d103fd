package dev.owlet.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.owlet.model.Gpt;
import dev.owlet.model.GptConfig;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The optimizer ablation's two updates against hand-computed values, and the layer groups a student may train. */
class OptimizerTest {
    @Test
    void sgdStepsAgainstTheGradientScaledByTheRate() {
        try (NDManager m = NDManager.newBaseManager(); Sgd sgd = new Sgd()) {
            NDArray p = m.create(new float[] {1f, 2f, 3f});
            sgd.step(Map.of("w", p), Map.of("w", m.create(new float[] {0.5f, -1f, 2f})), 0.1);
            assertThat(p.toFloatArray()).containsExactly(new float[] {0.95f, 2.1f, 2.8f}, within(1e-6f));
        }
    }

    @Test
    void adamStepsMatchTheBiasCorrectedMomentsComputedByHand() {
        OptimConfig cfg = OptimConfig.constant(0.01, 10); // beta1 0.9, beta2 0.999, eps 1e-8, no decay
        double[] g1 = {0.5, -2.0};
        double[] g2 = {-0.1, -1.0};
        try (NDManager m = NDManager.newBaseManager(); AdamW adam = new AdamW(cfg, m)) {
            NDArray p = m.create(new float[] {1f, 1f});
            adam.step(Map.of("w", p), Map.of("w", m.create(new float[] {(float) g1[0], (float) g1[1]})), 0.01);
            // step 1: m/bc1 = g, v/bc2 = g^2, so the update is lr * sign(g)
            assertThat(p.toFloatArray()).containsExactly(new float[] {0.99f, 1.01f}, within(1e-6f));
            adam.step(Map.of("w", p), Map.of("w", m.create(new float[] {(float) g2[0], (float) g2[1]})), 0.01);
            float[] after = p.toFloatArray();
            for (int i = 0; i < 2; i++) {
                double mt = 0.9 * 0.1 * g1[i] + 0.1 * g2[i];
                double vt = 0.999 * 0.001 * g1[i] * g1[i] + 0.001 * g2[i] * g2[i];
                double mh = mt / (1 - 0.81);
                double vh = vt / (1 - 0.999 * 0.999);
                double expected = (i == 0 ? 0.99 : 1.01) - 0.01 * mh / (Math.sqrt(vh) + 1e-8);
                assertThat((double) after[i]).as("coordinate " + i).isCloseTo(expected, within(1e-6));
            }
        }
    }

    @Test
    void layerGroupsSelectTheBlocksByPosition() {
        int layers = 4;
        assertThat(TrainableParams.EARLY_BLOCKS.trains("h.0.attn.c_attn.weight", layers)).isTrue();
        assertThat(TrainableParams.EARLY_BLOCKS.trains("h.1.mlp.c_fc.bias", layers)).isTrue();
        assertThat(TrainableParams.EARLY_BLOCKS.trains("h.2.mlp.c_fc.bias", layers)).isFalse();
        assertThat(TrainableParams.LATE_BLOCKS.trains("h.3.ln_1.weight", layers)).isTrue();
        assertThat(TrainableParams.LATE_BLOCKS.trains("h.1.ln_1.weight", layers)).isFalse();
        assertThat(TrainableParams.LATE_BLOCKS.trains("h.10.ln_1.weight", 12)).isTrue(); // two-digit block index
        for (TrainableParams t : List.of(TrainableParams.EARLY_BLOCKS, TrainableParams.LATE_BLOCKS, TrainableParams.BLOCKS)) {
            assertThat(t.trains("wte.weight", layers)).as(t.key()).isFalse();
        }
        assertThat(TrainableParams.EMBEDDINGS.trains("wte.weight", layers)).isTrue();
        assertThat(TrainableParams.EMBEDDINGS.trains("h.0.attn.c_attn.weight", layers)).isFalse();
        assertThat(TrainableParams.of("late_blocks")).isEqualTo(TrainableParams.LATE_BLOCKS);
        assertThatThrownBy(() -> TrainableParams.of("middle")).hasMessageContaining("early_blocks");
        assertThatThrownBy(() -> Optimizer.of("rmsprop")).hasMessageContaining("[adam, sgd]");
    }

    @Test
    void aStudentTrainedWithSgdOnItsEarlyBlocksChangesThoseAndNothingElse() {
        GptConfig cfg = new GptConfig(16, 16, 4, 16, 2, 0);
        List<Example> rows = List.of(new Example(new int[] {2, 3, 4}, new int[] {7, 8, 9, 5}),
                new Example(new int[] {2, 12}, new int[] {13, 14, 15, 7, 5}));
        TokenBatch batch = TokenBatch.of(rows, 0, 16);
        try (NDManager root = NDManager.newBaseManager(); Gpt gpt = Gpt.initialize(cfg, 3, root)) {
            Map<String, float[]> before = new LinkedHashMap<>();
            gpt.parameters().forEach((k, p) -> before.put(k, p.toFloatArray()));
            try (Trainer t = new Trainer(gpt, OptimConfig.constant(0.5, 3), TrainableParams.EARLY_BLOCKS, Optimizer.SGD)) {
                t.step(batch, Trainer.crossEntropy());
                t.step(batch, Trainer.crossEntropy());
            }
            gpt.parameters().forEach((k, p) -> {
                boolean changed = !java.util.Arrays.equals(before.get(k), p.toFloatArray());
                boolean early = k.startsWith("h.0.") || k.startsWith("h.1.");
                if (!early) assertThat(changed).as(k + " is frozen").isFalse();
            });
            assertThat(gpt.parameters().entrySet().stream().filter(e -> e.getKey().startsWith("h.0.attn")
                    && !java.util.Arrays.equals(before.get(e.getKey()), e.getValue().toFloatArray()))).isNotEmpty();
        }
    }
}
