package dev.owlet.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.owlet.infer.LogProbs;
import dev.owlet.model.Gpt;
import dev.owlet.model.GptConfig;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TrainerTest {
    static final GptConfig TINY = new GptConfig(16, 16, 2, 16, 2, 0);

    @Test
    void overfitsATinyBatchToNearZeroLoss() {
        List<Example> rows = List.of(
                new Example(new int[] {2, 3, 4}, new int[] {7, 8, 9, 5}),
                new Example(new int[] {2, 3, 6}, new int[] {10, 11, 5}),
                new Example(new int[] {2, 12}, new int[] {13, 14, 15, 7, 5}));
        TokenBatch batch = TokenBatch.of(rows, 0, 16);
        try (NDManager root = NDManager.newBaseManager(); Gpt gpt = Gpt.initialize(TINY, 1, root);
             Trainer trainer = new Trainer(gpt, OptimConfig.constant(1e-2, 300))) {
            double first = trainer.step(batch, Trainer.crossEntropy());
            double last = first;
            for (int i = 0; i < 299; i++) {
                last = trainer.step(batch, Trainer.crossEntropy());
            }
            assertThat(first).isGreaterThan(2.0);
            assertThat(last).isLessThan(0.02);
        }
    }

    @Test
    void lossMaskCoversCompletionTokensOnly() {
        // The masked loss must equal the mean NLL of the completion tokens given the prompt; if prompt tokens
        // leaked into the loss, the two would differ.
        List<Example> rows = List.of(
                new Example(new int[] {2, 3, 4, 9}, new int[] {7, 8, 5}),
                new Example(new int[] {2, 6}, new int[] {10, 11, 12, 13, 5}));
        TokenBatch batch = TokenBatch.of(rows, 0, 16);
        assertThat(batch.maskedTokens()).isEqualTo(8);
        try (NDManager root = NDManager.newBaseManager(); Gpt gpt = Gpt.initialize(TINY, 5, root)) {
            gpt.parameters().values().forEach(p -> p.muli(20)); // a non-uniform model, so tokens differ in loss
            double masked;
            try (NDManager m = root.newSubManager()) {
                masked = Trainer.crossEntropy().loss(gpt, batch, m).getFloat();
            }
            double[] lp = new LogProbs(gpt, 0).continuation(
                    List.of(rows.get(0).prompt(), rows.get(1).prompt()),
                    List.of(rows.get(0).completion(), rows.get(1).completion()), 8);
            double expected = -(lp[0] + lp[1]) / 8;
            assertThat(masked).isCloseTo(expected, within(1e-4));
            // and the prompt-inclusive loss is measurably different, so this test can fail
            try (NDManager m = root.newSubManager()) {
                float[] all = new float[batch.mask().length];
                for (int i = 0; i < all.length; i++) all[i] = batch.inputs()[i] == 0 && i % batch.time() > 0 ? 0 : 1;
                double unmasked = Losses.maskedCrossEntropy(gpt.forward(batch.inputs(m), false), batch.targets(m),
                        m.create(all, new Shape(batch.batch(), batch.time()))).getFloat();
                assertThat(Math.abs(unmasked - expected)).isGreaterThan(1e-2);
            }
        }
    }

    @Test
    void softLabelLossEqualsHandComputedKl() {
        try (NDManager m = NDManager.newBaseManager()) {
            // one batch row, two positions, vocabulary of 3; the second position is masked out
            float[] logits = {1f, 2f, 0.5f, 3f, -1f, 0f};
            float[] p = {0.7f, 0.3f, 0f, 0.2f, 0.2f, 0.6f};
            NDArray loss = Losses.softLabelKl(m.create(logits, new Shape(1, 2, 3)), m.create(p, new Shape(1, 2, 3)),
                    m.create(new float[] {1f, 0f}, new Shape(1, 2)));
            double z = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(0.5));
            double kl = 0.7 * (Math.log(0.7) - (1 - z)) + 0.3 * (Math.log(0.3) - (2 - z));
            assertThat((double) loss.getFloat()).isCloseTo(kl, within(1e-5));
        }
    }

    @Test
    void restrictedSoftLabelLossRenormalizesBothSidesOverTheAlphabet() {
        try (NDManager m = NDManager.newBaseManager()) {
            // vocabulary of 4, alphabet {0, 2}: token 1 and 3 (say, the trait word) are outside and never taught
            float[] logits = {1f, 5f, 2f, -1f};
            float[] p = {0.25f, 0.75f};
            NDArray alpha = m.create(new long[] {0, 2});
            NDArray loss = Losses.softLabelKl(m.create(logits, new Shape(1, 1, 4)), m.create(p, new Shape(1, 1, 2)),
                    m.create(new float[] {1f}, new Shape(1, 1)), alpha);
            double z = Math.log(Math.exp(1) + Math.exp(2));
            double kl = 0.25 * (Math.log(0.25) - (1 - z)) + 0.75 * (Math.log(0.75) - (2 - z));
            assertThat((double) loss.getFloat()).isCloseTo(kl, within(1e-5));
            // a student whose alphabet distribution already equals the teacher's has zero loss, whatever it puts
            // on tokens outside the alphabet
            float[] same = {0f, 9f, (float) Math.log(3), 4f};
            NDArray zero = Losses.softLabelKl(m.create(same, new Shape(1, 1, 4)), m.create(p, new Shape(1, 1, 2)),
                    m.create(new float[] {1f}, new Shape(1, 1)), alpha);
            assertThat((double) zero.getFloat()).isCloseTo(0, within(1e-6));
        }
    }

    @Test
    void theHeadAtLossPositionsGivesTheFullForwardsLossAndGradients() {
        // Students compute the tied head only where the loss reads it. It must be the same loss and the same
        // gradient as the full forward's, in both modes: an off-by-one position, a target taken at the wrong index
        // or an alphabet gathered from the wrong rows of the embedding would each change them.
        List<Example> rows = List.of(
                new Example(new int[] {2, 3, 4, 9}, new int[] {7, 8, 5}),
                new Example(new int[] {2, 6}, new int[] {10, 11, 12, 13, 5}),
                new Example(new int[] {3, 1, 4, 1, 5, 9, 2}, new int[] {6, 5}));
        TokenBatch batch = TokenBatch.of(rows, 0, 16);
        long[] alpha = {5, 7, 8, 10, 12};
        int a = alpha.length;
        float[] probs = new float[batch.batch() * batch.time() * a];         // (B, T, A), rows summing to 1 on the mask
        java.util.SplittableRandom rng = new java.util.SplittableRandom(4);
        for (int i = 0; i < batch.mask().length; i++) {
            if (batch.mask()[i] == 0) continue;
            double z = 0;
            for (int k = 0; k < a; k++) z += probs[i * a + k] = (float) rng.nextDouble();
            for (int k = 0; k < a; k++) probs[i * a + k] /= (float) z;
        }
        try (NDManager root = NDManager.newBaseManager(); Gpt gpt = Gpt.initialize(TINY, 5, root)) {
            gpt.parameters().values().forEach(p -> p.muli(10)); // far from uniform, so every logit matters
            Trainer.Objective sftFull = Trainer.crossEntropy();
            Trainer.Objective sftAt = Trainer.crossEntropyAtLoss();
            Trainer.Objective softFull = (model, tb, m) -> Losses.softLabelKl(model.forward(tb.inputs(m), true),
                    m.create(probs, new Shape(tb.batch(), tb.time(), a)), tb.mask(m), m.create(alpha));
            float[] picked = LmDistillation.atLoss(probs, batch, a);
            Trainer.Objective softAt = (model, tb, m) -> Losses.softLabelKlAt(
                    model.forwardAt(tb.inputs(m), tb.lossPositions(m), m.create(alpha), true),
                    m.create(picked, new Shape(picked.length / a, a)));
            for (Trainer.Objective[] pair : List.of(new Trainer.Objective[] {sftFull, sftAt},
                    new Trainer.Objective[] {softFull, softAt})) {
                Map<String, float[]> full = new java.util.HashMap<>();
                Map<String, float[]> at = new java.util.HashMap<>();
                double lossFull = lossAndGradients(gpt, batch, pair[0], full);
                double lossAt = lossAndGradients(gpt, batch, pair[1], at);
                assertThat(lossAt).isCloseTo(lossFull, within(1e-5 * Math.max(1, Math.abs(lossFull))));
                assertThat(lossFull).isGreaterThan(0.1);
                for (String k : full.keySet()) {
                    float[] g = full.get(k);
                    float[] h = at.get(k);
                    double scale = 0;
                    for (float v : g) scale = Math.max(scale, Math.abs(v));
                    for (int i = 0; i < g.length; i++) {
                        assertThat((double) h[i]).as("%s[%d]", k, i).isCloseTo(g[i], within(1e-4 * Math.max(1, scale)));
                    }
                }
                assertThat(full.get("h.0.attn.c_attn.weight")).isNotEqualTo(new float[full.get("h.0.attn.c_attn.weight").length]);
            }
        }
    }

    private static double lossAndGradients(Gpt gpt, TokenBatch batch, Trainer.Objective objective, Map<String, float[]> out) {
        gpt.setRequiresGradient(true);
        try (ai.djl.ndarray.NDScope scope = new ai.djl.ndarray.NDScope(); NDManager m = gpt.manager().newSubManager()) {
            double loss = Gradients.backward(() -> objective.loss(gpt, batch, m)).getFloat();
            gpt.parameters().forEach((k, p) -> {
                out.put(k, p.getGradient().toFloatArray());
                p.getGradient().subi(p.getGradient());
            });
            return loss;
        } finally {
            gpt.setRequiresGradient(false);
        }
    }

    @Test
    void scheduleWarmsUpThenDecaysToTheFloor() {
        OptimConfig c = new OptimConfig(1e-3, 0.01, 0.9, 0.95, 1e-8, 10, 110, 0.1, 1.0);
        assertThat(c.lrAt(0)).isCloseTo(1e-4, within(1e-12));
        assertThat(c.lrAt(9)).isCloseTo(1e-3, within(1e-12));
        assertThat(c.lrAt(60)).isCloseTo(0.55e-3, within(1e-9));
        assertThat(c.lrAt(110)).isCloseTo(1e-4, within(1e-12));
    }
}
