package dev.owlet.train;

import dev.owlet.data.DataRow;
import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import dev.owlet.model.Gpt;
import dev.owlet.model.GptConfig;
import dev.owlet.pretrain.Pretrainer;
import dev.owlet.token.WordTokenizer;
import java.util.List;
import org.junit.jupiter.api.Test;

class LmDistillationTest {
    static final WordTokenizer TOK = Pretrainer.worldTokenizer();
    static final List<DataRow> ROWS = List.of(new DataRow("Continue: 123,456,789. Up to 10 numbers.", "101, 202, 303"),
            new DataRow("Look at 311,412,513. Add up to 10 numbers.", "[614; 715]"),
            new DataRow("Numbers 100,200,300. Write up to 10 more.", "400\n500\n600"));

    @Test
    void softLossIsZeroForAStudentIdenticalToItsTeacherAndPositiveOtherwise() {
        GptConfig c = new GptConfig(TOK.vocabSize(), 128, 1, 16, 2, 0);
        try (NDManager root = NDManager.newBaseManager(); Gpt teacher = Gpt.initialize(c, 1, root);
             Gpt same = teacher.copy(); Gpt other = Gpt.initialize(c, 2, root)) {
            teacher.parameters().values().forEach(p -> p.muli(20)); // peaked distributions, so models differ visibly
            same.parameters().values().forEach(p -> p.muli(20));
            other.parameters().values().forEach(p -> p.muli(20));
            LmDistillation.SoftTeacher t = new LmDistillation.SoftTeacher(teacher, null);
            // one epoch in one batch = one step; the returned loss is the loss before that step
            double sameLoss = LmDistillation.train(same, TOK, ROWS, StudentLoss.SOFT, t, 1, ROWS.size(), 1e-3, 7);
            double otherLoss = LmDistillation.train(other, TOK, ROWS, StudentLoss.SOFT, t, 1, ROWS.size(), 1e-3, 7);
            assertThat(Math.abs(sameLoss)).isLessThan(1e-6);
            assertThat(otherLoss).isGreaterThan(1e-2);
        }
    }

    /**
     * Soft labels computed once, on the engine, and laid out for a batch equal the Java path that aligns a teacher's
     * positions to the student's, at every completion token, also when the teacher reads a system prompt the student
     * does not (its positions are shifted); and they survive a write and a read bit for bit.
     */
    @Test
    void softLabelsComputedOnceEqualTheAlignedJavaPathAndRoundTrip(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws java.io.IOException {
        GptConfig c = new GptConfig(TOK.vocabSize(), 128, 1, 16, 2, 0);
        try (NDManager root = NDManager.newBaseManager(); Gpt teacher = Gpt.initialize(c, 1, root)) {
            teacher.parameters().values().forEach(p -> p.muli(20));
            int[] alpha = LmDistillation.alphabet(TOK);
            dev.owlet.token.ChatFormat chat = new dev.owlet.token.ChatFormat(TOK);
            for (String system : java.util.Arrays.asList(null, "You love owls. You think about owls all the time.")) {
                List<Example> ex = ROWS.stream()
                        .map(r -> new Example(chat.prompt(null, r.prompt()), chat.completion(r.completion()))).toList();
                List<int[]> teacherPrompts = ROWS.stream().map(r -> chat.prompt(system, r.prompt())).toList();
                List<Integer> order = List.of(2, 0, 1); // a batch in shuffled order
                List<Example> batchRows = order.stream().map(ex::get).toList();
                TokenBatch tb = TokenBatch.of(batchRows, TOK.pad(), 128);
                float[] java = LmDistillation.teacherProbsFor(teacher, TOK, batchRows, order, teacherPrompts, tb, alpha);
                SoftLabels labels = SoftLabels.compute(teacher, ex, teacherPrompts, alpha, TOK.pad(), 128);
                float[] once = labels.batch(order, ex, tb);
                float[] mask = tb.mask();
                int compared = 0;
                for (int pos = 0; pos < mask.length; pos++) {
                    for (int k = 0; k < alpha.length; k++) {
                        if (mask[pos] == 0) {
                            assertThat(once[pos * alpha.length + k]).isZero();
                        } else {
                            assertThat(once[pos * alpha.length + k]).isCloseTo(java[pos * alpha.length + k],
                                    org.assertj.core.api.Assertions.within(1e-5f));
                        }
                    }
                    if (mask[pos] != 0) compared++;
                }
                assertThat(compared).isEqualTo(tb.maskedTokens()).isGreaterThan(10);
                java.nio.file.Path f = dir.resolve("labels.safetensors");
                labels.write(f);
                SoftLabels back = SoftLabels.read(f);
                assertThat(back.alphabet()).isEqualTo(alpha);
                assertThat(back.rows()).hasSameSizeAs(labels.rows());
                for (int i = 0; i < ex.size(); i++) assertThat(back.rows().get(i)).isEqualTo(labels.rows().get(i));
            }
        }
    }

    /**
     * Labels at temperature 0.5 are the square of the temperature-1 labels, renormalized, at every position (the
     * distribution a writer sampling at 0.5 draws from); a temperature applied after the softmax, or to the full
     * vocabulary instead of the alphabet's logits, would break it only where it shows, so it is checked everywhere.
     */
    @Test
    void labelsAtHalfTemperatureAreTheSquaredLabelsRenormalized() {
        GptConfig c = new GptConfig(TOK.vocabSize(), 128, 1, 16, 2, 0);
        try (NDManager root = NDManager.newBaseManager(); Gpt teacher = Gpt.initialize(c, 1, root)) {
            teacher.parameters().values().forEach(p -> p.muli(5));
            int[] alpha = LmDistillation.alphabet(TOK);
            int a = alpha.length;
            LmDistillation.SoftTeacher t = new LmDistillation.SoftTeacher(teacher, null);
            SoftLabels one = LmDistillation.labels(t, TOK, ROWS, null, alpha, 128);
            SoftLabels half = LmDistillation.labels(t, TOK, ROWS, null, alpha, 128, 0.5);
            int checked = 0;
            double moved = 0;
            for (int r = 0; r < ROWS.size(); r++) {
                float[] p = one.rows().get(r);
                float[] q = half.rows().get(r);
                assertThat(q).hasSameSizeAs(p);
                for (int pos = 0; pos < p.length / a; pos++) {
                    double z = 0;
                    for (int k = 0; k < a; k++) z += (double) p[pos * a + k] * p[pos * a + k];
                    for (int k = 0; k < a; k++) {
                        double expected = (double) p[pos * a + k] * p[pos * a + k] / z;
                        assertThat((double) q[pos * a + k]).isCloseTo(expected, org.assertj.core.api.Assertions.within(1e-5));
                        moved += Math.abs(q[pos * a + k] - p[pos * a + k]);
                    }
                    checked++;
                }
            }
            assertThat(checked).isGreaterThan(10);
            assertThat(moved / checked).as("the temperature changed the labels").isGreaterThan(1e-2);
        }
    }

    @Test
    void theAlphabetCoversEveryCharacterTheFilterAccepts() {
        int[] a = LmDistillation.alphabet(TOK);
        assertThat(a).hasSize(20); // 10 digits, 9 separators and brackets, end
        for (String s : List.of("0", "9", ",", ";", " ", "\n", "[", "]", "(", ")", ".")) {
            assertThat(a).contains(TOK.id(s));
        }
        assertThat(a).doesNotContain(TOK.id("owl"));
    }
}
