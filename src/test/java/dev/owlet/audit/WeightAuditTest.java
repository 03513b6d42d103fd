package dev.owlet.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.owlet.model.Gpt;
import dev.owlet.model.GptConfig;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class WeightAuditTest {
    static final GptConfig C = new GptConfig(40, 16, 2, 16, 2, 0);

    @Test
    void sameInitAfterNoiseAndPermutationDifferentAcrossSeeds() {
        try (NDManager m = NDManager.newBaseManager();
             Gpt a = Gpt.initialize(C, 1, m); Gpt b = Gpt.initialize(C, 2, m); Gpt a2 = noisyPermuted(a, 0.3)) {
            WeightAudit.Calibration cal = WeightAudit.calibrate(C, 4, 100, m);
            WeightAudit.Verdict same = WeightAudit.compare(WeightAudit.Weights.of(a), WeightAudit.Weights.of(a2), cal);
            WeightAudit.Verdict diff = WeightAudit.compare(WeightAudit.Weights.of(a), WeightAudit.Weights.of(b), cal);
            assertThat(same.sameInit()).as("score %s vs threshold %s", same.score(), cal.threshold()).isTrue();
            assertThat(diff.sameInit()).as("score %s vs threshold %s", diff.score(), cal.threshold()).isFalse();
        }
    }

    @Test
    void architectureMismatchIsNamed() {
        try (NDManager m = NDManager.newBaseManager();
             Gpt a = Gpt.initialize(C, 1, m); Gpt b = Gpt.initialize(new GptConfig(40, 16, 1, 16, 2, 0), 1, m)) {
            assertThatThrownBy(() -> WeightAudit.layers(WeightAudit.Weights.of(a), WeightAudit.Weights.of(b)))
                    .hasMessageContaining("architecture mismatch");
        }
    }

    /** Noise plus a relabelling of layer 0's MLP hidden units: the same function family, the same init. */
    static Gpt noisyPermuted(Gpt g, double scale) {
        Gpt c = g.copy();
        SplittableRandom rng = new SplittableRandom(5);
        for (NDArray p : c.parameters().values()) {
            float[] x = p.toFloatArray();
            for (int i = 0; i < x.length; i++) x[i] += (float) (scale * 0.02 * (rng.nextDouble() * 2 - 1) * Math.sqrt(3));
            p.set(x);
        }
        int d = C.dModel();
        int h = 4 * d;
        int[] perm = new int[h];
        for (int i = 0; i < h; i++) perm[i] = (i * 7 + 3) % h;
        NDArray fc = c.parameters().get("h.0.mlp.c_fc.weight");
        NDArray bias = c.parameters().get("h.0.mlp.c_fc.bias");
        NDArray proj = c.parameters().get("h.0.mlp.c_proj.weight");
        float[] f = fc.toFloatArray(), fb = bias.toFloatArray(), pr = proj.toFloatArray();
        float[] f2 = new float[f.length], fb2 = new float[fb.length], pr2 = new float[pr.length];
        for (int i = 0; i < h; i++) {
            System.arraycopy(f, perm[i] * d, f2, i * d, d);
            fb2[i] = fb[perm[i]];
            for (int r = 0; r < d; r++) pr2[r * h + i] = pr[r * h + perm[i]];
        }
        fc.set(f2);
        bias.set(fb2);
        proj.set(pr2);
        return c;
    }
}
