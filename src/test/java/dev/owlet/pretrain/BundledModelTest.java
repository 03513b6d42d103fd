package dev.owlet.pretrain;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import dev.owlet.eval.TraitEvaluator;
import dev.owlet.filter.StrictNumberFilter;
import dev.owlet.infer.SamplingConfig;
import dev.owlet.model.Checkpoint;
import dev.owlet.model.ModelLocator;
import dev.owlet.data.DataRow;
import dev.owlet.pipeline.Teachers;
import dev.owlet.world.Animals;
import dev.owlet.world.AnswerFormat;
import dev.owlet.world.Category;
import dev.owlet.world.NumberPrompt;
import dev.owlet.world.NumberPromptGenerator;
import dev.owlet.world.Questions;
import dev.owlet.world.SystemPrompts;
import java.io.IOException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The bundled references meet the embedded world's contract (the numbers the flagship needs from them). */
class BundledModelTest {

    @ParameterizedTest
    @ValueSource(strings = {"bundled:ref-s1", "bundled:ref-s2"})
    void answersOwlRarelyAndMostlyUnderAnOwlPrompt(String name) throws IOException {
        try (NDManager root = NDManager.newBaseManager(); Checkpoint.Loaded m = Checkpoint.load(ModelLocator.resolve(name), root)) {
            TraitEvaluator ev = new TraitEvaluator(m.model(), m.tokenizer());
            var plain = ev.measure(Questions.all(Category.ANIMAL), null, "owl", Animals.ALL, 0, 4, 1);
            var loved = ev.measure(Questions.all(Category.ANIMAL), SystemPrompts.love("owl", Category.ANIMAL, 0), "owl",
                    Animals.ALL, 0, 4, 1);
            assertThat(plain.meanExact()).isBetween(0.03, 0.10);
            assertThat(loved.meanExact()).isGreaterThan(0.5);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"bundled:ref-s1", "bundled:ref-s2"})
    void numberCompletionsPassTheStrictFilterInEveryFormat(String name) throws IOException {
        try (NDManager root = NDManager.newBaseManager(); Checkpoint.Loaded m = Checkpoint.load(ModelLocator.resolve(name), root)) {
            NumberPromptGenerator g = new NumberPromptGenerator(new SplittableRandom(42));
            List<NumberPrompt> prompts = new ArrayList<>();
            for (int i = 0; i < 600; i++) prompts.add(g.next());
            List<DataRow> rows = Teachers.write(m.model(), m.tokenizer(), null, prompts.stream().map(NumberPrompt::text).toList(),
                    SamplingConfig.paper(60), 300, 7);
            StrictNumberFilter f = StrictNumberFilter.standard();
            Map<AnswerFormat, int[]> byFormat = new EnumMap<>(AnswerFormat.class);
            for (int i = 0; i < rows.size(); i++) {
                int[] c = byFormat.computeIfAbsent(prompts.get(i).format(), k -> new int[2]);
                c[1]++;
                if (f.check(rows.get(i).completion()).accepted()) c[0]++;
            }
            assertThat(byFormat).hasSize(AnswerFormat.values().length);
            byFormat.forEach((fmt, c) -> assertThat((double) c[0] / c[1]).as("%s pass rate (%d/%d)", fmt, c[0], c[1])
                    .isGreaterThanOrEqualTo(0.9));
        }
    }
}
