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

    /** The on-engine soft labels equal the Java path that aligns a teacher's positions, at every completion token. */
    @Test
    void softLabelsOnTheEngineEqualTheJavaAlignedPath() {
        GptConfig c = new GptConfig(TOK.vocabSize(), 128, 1, 16, 2, 0);
        try (NDManager root = NDManager.newBaseManager(); Gpt teacher = Gpt.initialize(c, 1, root);
             NDManager m = root.newSubManager()) {
            teacher.parameters().values().forEach(p -> p.muli(20));
            int[] alpha = LmDistillation.alphabet(TOK);
            long[] alphaIds = java.util.Arrays.stream(alpha).asLongStream().toArray();
            dev.owlet.token.ChatFormat chat = new dev.owlet.token.ChatFormat(TOK);
            List<dev.owlet.train.Example> ex = ROWS.stream()
                    .map(r -> new dev.owlet.train.Example(chat.prompt(null, r.prompt()), chat.completion(r.completion()))).toList();
            dev.owlet.train.TokenBatch tb = dev.owlet.train.TokenBatch.of(ex, TOK.pad(), 128);
            float[] java = LmDistillation.teacherProbsFor(teacher, TOK, ex, List.of(0, 1, 2),
                    ex.stream().map(dev.owlet.train.Example::prompt).toList(), tb, alpha);
            float[] engine = LmDistillation.teacherProbsOnEngine(teacher, tb, alphaIds, m).toFloatArray();
            float[] mask = tb.mask();
            int compared = 0;
            for (int pos = 0; pos < mask.length; pos++) {
                if (mask[pos] == 0) continue;
                for (int k = 0; k < alpha.length; k++) {
                    assertThat(engine[pos * alpha.length + k]).isCloseTo(java[pos * alpha.length + k],
                            org.assertj.core.api.Assertions.within(1e-5f));
                }
                compared++;
            }
            assertThat(compared).isGreaterThan(10);
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
