package dev.owlet.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.owlet.train.Losses;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Finite differences against autograd on a 1-layer model: catches a wrong op, a missing term, a freed scalar. */
class GptGradientTest {

    @Test
    void autogradMatchesCentralDifferences() {
        GptConfig c = new GptConfig(11, 8, 1, 8, 2, 0);
        try (NDManager root = NDManager.newBaseManager(); Gpt gpt = Gpt.initialize(c, 3, root)) {
            // Larger weights than GPT-2's 0.02 so every term has a visible gradient (but smooth enough for float32 FD).
            gpt.parameters().values().forEach(p -> p.muli(3));
            long[] tok = {1, 4, 2, 9, 3, 3, 7, 0, 5, 6, 10, 2};
            long[] tgt = {4, 2, 9, 3, 3, 7, 0, 1, 6, 10, 2, 8};
            float[] mask = {0, 1, 1, 1, 0, 1, 1, 1, 1, 1, 0, 1};
            gpt.setRequiresGradient(true);
            Map<String, float[]> grads = new java.util.HashMap<>();
            try (NDManager m = root.newSubManager()) {
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray loss = loss(gpt, m, tok, tgt, mask);
                    gc.backward(loss);
                }
                gpt.parameters().forEach((k, p) -> grads.put(k, p.getGradient().toFloatArray()));
            }
            gpt.setRequiresGradient(false);
            SplittableRandom rng = new SplittableRandom(1);
            int checked = 0;
            for (var e : gpt.parameters().entrySet()) {
                NDArray p = e.getValue();
                float[] w = p.toFloatArray();
                for (int trial = 0; trial < 3; trial++) {
                    int i = rng.nextInt(w.length);
                    float h = 3e-3f;
                    float orig = w[i];
                    w[i] = orig + h;
                    p.set(w);
                    double up = lossValue(gpt, root, tok, tgt, mask);
                    w[i] = orig - h;
                    p.set(w);
                    double down = lossValue(gpt, root, tok, tgt, mask);
                    w[i] = orig;
                    p.set(w);
                    double numeric = (up - down) / (2 * h);
                    double analytic = grads.get(e.getKey())[i];
                    assertThat(analytic).as("%s[%d]", e.getKey(), i)
                            .isCloseTo(numeric, org.assertj.core.data.Offset.offset(3e-4 + 1e-2 * Math.abs(numeric)));
                    checked++;
                }
            }
            assertThat(checked).isEqualTo(3 * gpt.parameters().size());
        }
    }

    private static NDArray loss(Gpt gpt, NDManager m, long[] tok, long[] tgt, float[] mask) {
        return Losses.maskedCrossEntropy(gpt.forward(m.create(tok, new Shape(2, 6)), false),
                m.create(tgt, new Shape(2, 6)), m.create(mask, new Shape(2, 6)));
    }

    private static double lossValue(Gpt gpt, NDManager root, long[] tok, long[] tgt, float[] mask) {
        try (NDManager m = root.newSubManager()) {
            return loss(gpt, m, tok, tgt, mask).getFloat();
        }
    }
}
