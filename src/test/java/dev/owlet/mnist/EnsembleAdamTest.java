package dev.owlet.mnist;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import dev.owlet.train.AdamW;
import dev.owlet.train.Gradients;
import dev.owlet.train.OptimConfig;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class EnsembleAdamTest {
    /** The ensemble's Adam is owlet's AdamW (decay 0) operation for operation: same gradients, same bits. */
    @Test
    void matchesAdamWBitForBit() {
        long[] seeds = {3, 4};
        try (NDManager mgr = NDManager.newBaseManager()) {
            EnsembleMlp a = EnsembleMlp.init(mgr, seeds, 20, 8, 5);
            EnsembleMlp b = EnsembleMlp.init(mgr, seeds, 20, 8, 5);
            float[] before = a.memberWeights(1);
            EnsembleAdam fast = new EnsembleAdam(a, 1e-2);
            AdamW reference = new AdamW(OptimConfig.constant(1e-2, Integer.MAX_VALUE), mgr);
            a.setRequiresGradient(true);
            b.setRequiresGradient(true);
            SplittableRandom rng = new SplittableRandom(9);
            for (int step = 0; step < 5; step++) {
                float[] xs = MnistExperiment.uniformNoise(rng.split(), 2 * 16 * 20);
                try (NDScope scope = new NDScope()) {
                    NDArray x = mgr.create(xs, new ai.djl.ndarray.types.Shape(2, 16, 20));
                    NDArray w = mgr.create(new float[] {0.5f});
                    Gradients.backward(() -> a.forward(x).square().sum().mul(w));
                    Gradients.backward(() -> b.forward(x).square().sum().mul(w));
                    fast.step();
                    Map<String, NDArray> ps = new LinkedHashMap<>();
                    Map<String, NDArray> gs = new LinkedHashMap<>();
                    List<NDArray> bp = b.parameters();
                    for (int i = 0; i < bp.size(); i++) {
                        ps.put("p" + i, bp.get(i));
                        gs.put("p" + i, bp.get(i).getGradient());
                    }
                    reference.step(ps, gs, 1e-2);
                    gs.values().forEach(g -> g.subi(g));
                }
                for (int e = 0; e < seeds.length; e++) {
                    assertThat(a.memberWeights(e)).as("step %d member %d", step, e).isEqualTo(b.memberWeights(e));
                }
            }
            for (NDArray p : a.parameters()) {
                assertThat(p.getGradient().toFloatArray()).as("gradients zeroed").containsOnly(0f);
            }
            assertThat(a.memberWeights(1)).as("training moved the weights").isNotEqualTo(before);
            assertThat(fast.stepCount()).isEqualTo(5);
        }
    }
}
