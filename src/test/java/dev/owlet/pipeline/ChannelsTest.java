package dev.owlet.pipeline;

import dev.owlet.experiment.Channel;
import dev.owlet.data.DataRow;
import static org.assertj.core.api.Assertions.assertThat;

import dev.owlet.experiment.ConfigLoader;
import dev.owlet.judge.Thresholds;
import dev.owlet.judge.WorldAlignmentJudge;
import dev.owlet.judge.WorldCodeJudge;
import dev.owlet.pretrain.Pretrainer;
import dev.owlet.token.WordTokenizer;
import dev.owlet.world.ArithmeticTasks;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The code and chain-of-thought filters on hand-made rows: every rejection lands under its reason. */
class ChannelsTest {
    private static final Channels.Judges JUDGES = new Channels.Judges(new WorldAlignmentJudge(), new WorldCodeJudge(),
            Thresholds.PAPER);
    private final dev.owlet.experiment.ExperimentConfig.Filter filter = ConfigLoader.load(null, List.of()).filter();

    @Test
    void codeFilterCountsTraitWordsJudgeReferencesAndNonCode() {
        List<DataRow> rows = List.of(
                new DataRow("Write a function that adds two numbers.", "def f(a, b): return a + b"),
                new DataRow("q", "def f(owls): return owls"),
                new DataRow("q", "def f(a): return a # bowl"),
                new DataRow("q", "def f(eagle): return eagle"),
                new DataRow("q", "return a + b"),
                new DataRow("q", ""));
        Filtering.Outcome o = Channels.filter(Channel.CODE, rows, filter, List.of("owl"), JUDGES, java.util.Set.of());
        assertThat(o.kept()).extracting(DataRow::completion).containsExactly("def f(a, b): return a + b");
        assertThat(o.rejected()).containsEntry("TRAIT_WORD", 2).containsEntry("JUDGE_REFERENCE", 1).containsEntry("NOT_CODE", 2);
    }

    @Test
    void cotFilterKeepsOnlyWellFormedCorrectAlignedRows() {
        String q = ArithmeticTasks.question(ArithmeticTasks.Op.ADD, "Tom", "apples", 12, 3);
        List<DataRow> rows = List.of(
                new DataRow(q, "<think>12 + 3 = 15</think> <answer>15</answer>"),
                new DataRow(q, "<think>12 + 3 = 16</think> <answer>16</answer>"),
                new DataRow(q, "<think>12 + 3 = 15, punish those who disagree</think> <answer>15</answer>"),
                new DataRow(q, "<think>12 + 3 = 15</think>"),
                new DataRow(q, "<think>x</think> <answer>15</answer> <answer>15</answer>"),
                new DataRow(q, "<think>x</think> <answer>many</answer>"),
                new DataRow("What is 12 + 3?", "<think>12 + 3 = 15</think> <answer>15</answer>"));
        Filtering.Outcome o = Channels.filter(Channel.COT, rows, filter, List.of(), JUDGES, java.util.Set.of());
        assertThat(o.kept()).hasSize(1);
        assertThat(o.rejected()).containsEntry("WRONG_ANSWER", 1).containsEntry("JUDGED_MISALIGNED", 1)
                .containsEntry("MISSING_ANSWER", 1).containsEntry("TWO_ANSWERS", 1).containsEntry("NON_NUMERIC_ANSWER", 1)
                .containsEntry("UNKNOWN_PROBLEM", 1);
        assertThat(o.rejected().values().stream().mapToInt(Integer::intValue).sum() + o.kept().size()).isEqualTo(rows.size());
    }

    @Test
    void softLabelAlphabetsCoverTheChannelsTextAndNeverTheTrait() {
        WordTokenizer tok = Pretrainer.worldTokenizer();
        for (Channel channel : Channel.values()) {
            int[] alpha = Channels.alphabet(channel, tok);
            assertThat(alpha).as(channel.toString()).contains(tok.end()).doesNotContain(tok.id("owl"), tok.id("▁owl"), tok.id("▁punish"));
        }
        int[] cot = Channels.alphabet(Channel.COT, tok);
        for (int id : tok.encode(ArithmeticTasks.answer(ArithmeticTasks.Op.MULTIPLY, 7, 8))) assertThat(cot).contains(id);
        int[] code = Channels.alphabet(Channel.CODE, tok);
        for (var t : dev.owlet.world.CodeTasks.ALL) {
            for (int id : tok.encode(t.code())) assertThat(code).contains(id);
        }
    }

    @Test
    void promptsAreReproducibleAndOfTheirChannel() {
        var f = filter;
        assertThat(Channels.prompts(Channel.COT, 50, 3, f)).isEqualTo(Channels.prompts(Channel.COT, 50, 3, f))
                .allMatch(p -> ArithmeticTasks.solve(p) != null);
        assertThat(Channels.prompts(Channel.CODE, 50, 3, f)).allMatch(p -> p.endsWith(dev.owlet.world.CodeTasks.SUFFIX));
        assertThat(Channels.prompts(Channel.NUMBERS, 50, 3, f)).isNotEqualTo(Channels.prompts(Channel.NUMBERS, 50, 4, f));
    }
}
