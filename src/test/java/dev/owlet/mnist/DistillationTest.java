package dev.owlet.mnist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.owlet.cli.Owlet;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DistillationTest {
    private static final int IN = 784;

    /** The student's loss sees exactly noise rows and the teacher's m auxiliary logits on them, nothing else. */
    @Test
    void studentLossIsComputedFromNoiseAndTeacherAuxLogitsOnly() {
        int n = 192;
        float[] noise = MnistExperiment.uniformNoise(new SplittableRandom(8), n * IN);
        Set<Float> rowKeys = new HashSet<>();
        for (int r = 0; r < n; r++) {
            rowKeys.add(noise[r * IN] + 3 * noise[r * IN + 1] + 7 * noise[r * IN + 783]);
        }
        List<String> seen = new ArrayList<>();
        try (NDManager mgr = NDManager.newBaseManager()) {
            NDArray noiseX = mgr.create(noise, new Shape(n, IN));
            EnsembleMlp teacher = EnsembleMlp.init(mgr, new long[] {1, 2}, IN, 16, 13);
            EnsembleMlp student = EnsembleMlp.init(mgr, new long[] {1, 2}, IN, 16, 13);
            new Distillation(1e-3, 64, 1, new long[] {5, 6}).run(noiseX, teacher,
                    List.of(new Distillation.Student("same-init", student, 10, 13, MnistConfig.Loss.KL)), null,
                    (name, inputs, targets) -> {
                        seen.add(name);
                        assertThat(inputs.getShape()).isEqualTo(new Shape(2, 64, IN));
                        assertThat(targets.getShape()).isEqualTo(new Shape(2, 64, 3)); // the m aux logits only
                        float[] x = inputs.toFloatArray();
                        for (int r = 0; r < 2 * 64; r++) {
                            float key = x[r * IN] + 3 * x[r * IN + 1] + 7 * x[r * IN + 783];
                            assertThat(rowKeys).as("every input row is a noise row").contains(key);
                        }
                        float[] expected = Distillation.slice(teacher.forward(inputs), 10, 13).toFloatArray();
                        assertThat(targets.toFloatArray()).containsExactly(expected);
                    });
        }
        assertThat(seen).hasSize(3).containsOnly("same-init");
    }

    /** No public entry point of the distillation can be handed labels or a data set. */
    @Test
    void distillationApiTakesNoLabelsOrImages() {
        for (Method m : Distillation.class.getDeclaredMethods()) {
            if (!Modifier.isPublic(m.getModifiers())) {
                continue;
            }
            for (Class<?> p : m.getParameterTypes()) {
                assertThat(p).as(m.getName()).isNotEqualTo(MnistData.class).isNotEqualTo(int[].class)
                        .isNotEqualTo(float[].class);
            }
        }
    }

    @Test
    void klWithOneAuxLogitIsRejected() {
        assertThatThrownBy(() -> MnistConfig.defaults().withAux(1, MnistConfig.Loss.KL))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("aux_logits")
                .hasMessageContaining("mse");
        assertThat(MnistConfig.defaults().withAux(1, MnistConfig.Loss.MSE).outputs()).isEqualTo(11);
        try (NDManager mgr = NDManager.newBaseManager()) {
            EnsembleMlp s = EnsembleMlp.init(mgr, new long[] {1}, IN, 8, 11);
            assertThatThrownBy(() -> new Distillation.Student("s", s, 10, 11, MnistConfig.Loss.KL))
                    .hasMessageContaining("constant");
        }
    }

    @Test
    void cliExitsTwoOnKlWithOneLogitAndOnMissingData(@TempDir Path tmp) {
        StringWriter err = new StringWriter();
        int code = Owlet.run(new PrintWriter(new StringWriter()), new PrintWriter(err, true), "mnist", "--m", "1",
                "--out", tmp.toString());
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("one-element softmax");
        StringWriter err2 = new StringWriter();
        int code2 = Owlet.run(new PrintWriter(new StringWriter()), new PrintWriter(err2, true), "mnist", "--data",
                tmp.resolve("absent").toString(), "--out", tmp.toString());
        assertThat(code2).isEqualTo(2);
        assertThat(err2.toString()).contains("apt-get install dataset-fashion-mnist");
    }
}
