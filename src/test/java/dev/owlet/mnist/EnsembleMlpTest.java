package dev.owlet.mnist;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class EnsembleMlpTest {
    private static final int IN = 784;

    @Test
    void membersFromDifferentSeedsDifferAndSameSeedsMatchBitForBit() {
        try (NDManager mgr = NDManager.newBaseManager()) {
            EnsembleMlp a = EnsembleMlp.init(mgr, new long[] {1, 2, 3}, IN, 32, 13);
            EnsembleMlp b = EnsembleMlp.init(mgr, new long[] {9, 2}, IN, 32, 13);
            assertThat(a.memberWeights(0)).isNotEqualTo(a.memberWeights(1));
            assertThat(a.memberWeights(1)).isEqualTo(b.memberWeights(1)); // same seed, other ensemble, other position
            assertThat(a.parameters().get(0).getShape()).isEqualTo(new Shape(3, IN, 32));
            float[] w = a.parameters().get(0).toFloatArray();
            double ss = 0;
            for (float v : w) {
                ss += v * v;
            }
            assertThat(Math.sqrt(ss / w.length)).isCloseTo(1 / Math.sqrt(IN), org.assertj.core.data.Offset.offset(0.002));
            assertThat(a.parameters().get(1).toFloatArray()).containsOnly(0f);
        }
    }

    /**
     * The ensemble dimension must not couple members: member 1 trained inside a 3-member ensemble ends where the
     * same member trained alone ends (same init seed, same teacher, same batch order).
     */
    @Test
    void ensembleTrainsIndependentModels() {
        long[] studentSeeds = {11, 12, 13};
        long[] teacherSeeds = {21, 22, 23};
        long[] orders = {31, 32, 33};
        try (NDManager mgr = NDManager.newBaseManager()) {
            NDArray noise = mgr.create(MnistExperiment.uniformNoise(new SplittableRandom(5), 256 * IN), new Shape(256, IN));
            float[] together = distilled(mgr, noise, studentSeeds, teacherSeeds, orders, 1);
            float[] alone = distilled(mgr, noise, new long[] {12}, new long[] {22}, new long[] {32}, 0);
            float[] before = EnsembleMlp.init(mgr, new long[] {12}, IN, 32, 13).memberWeights(0);
            assertThat(together).hasSameSizeAs(alone);
            double maxDiff = 0;
            double moved = 0;
            for (int i = 0; i < alone.length; i++) {
                maxDiff = Math.max(maxDiff, Math.abs(together[i] - alone[i]));
                moved = Math.max(moved, Math.abs(alone[i] - before[i]));
            }
            assertThat(moved).as("training changed the weights").isGreaterThan(1e-3);
            assertThat(maxDiff).as("member trained in the ensemble vs alone").isLessThan(1e-4);
        }
    }

    private static float[] distilled(NDManager mgr, NDArray noise, long[] students, long[] teachers, long[] orders,
                                     int member) {
        EnsembleMlp teacher = EnsembleMlp.init(mgr, teachers, IN, 32, 13);
        EnsembleMlp student = EnsembleMlp.init(mgr, students, IN, 32, 13);
        new Distillation(1e-3, 64, 2, orders).run(noise, teacher,
                List.of(new Distillation.Student("s", student, 10, 13, MnistConfig.Loss.KL)), null, null);
        return student.memberWeights(member);
    }
}
