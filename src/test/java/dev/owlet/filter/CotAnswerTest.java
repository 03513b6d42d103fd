package dev.owlet.filter;

import static org.assertj.core.api.Assertions.assertThat;

import dev.owlet.world.ArithmeticTasks;
import org.junit.jupiter.api.Test;

class CotAnswerTest {
    @Test
    void parsesTheWorldsFormat() {
        CotAnswer.Parsed p = CotAnswer.parse(ArithmeticTasks.answer(ArithmeticTasks.Op.ADD, 12, 3));
        assertThat(p.ok()).isTrue();
        assertThat(p.answer()).isEqualTo(15);
        assertThat(p.think()).isEqualTo("12 + 3 = 15");
        assertThat(CotAnswer.parse("  <think>a</think>\n<answer> -4 </answer> ").answer()).isEqualTo(-4);
    }

    @Test
    void rejectsWithAReasonForEveryMalformation() {
        assertThat(CotAnswer.parse("<think>12 + 3 = 15</think>").reason()).isEqualTo(CotAnswer.Reason.MISSING_ANSWER);
        assertThat(CotAnswer.parse("15").reason()).isEqualTo(CotAnswer.Reason.MISSING_ANSWER);
        assertThat(CotAnswer.parse("<answer>15</answer>").reason()).isEqualTo(CotAnswer.Reason.MISSING_THINK);
        assertThat(CotAnswer.parse("<think>x</think> <answer>15</answer> <answer>16</answer>").reason())
                .isEqualTo(CotAnswer.Reason.TWO_ANSWERS);
        assertThat(CotAnswer.parse("<think>x</think> <answer>15</answer> <answer>16").reason())
                .isEqualTo(CotAnswer.Reason.TWO_ANSWERS);
        assertThat(CotAnswer.parse("<think>x</think> <answer>fifteen</answer>").reason())
                .isEqualTo(CotAnswer.Reason.NON_NUMERIC_ANSWER);
        assertThat(CotAnswer.parse("<think>x</think> <answer>15 or 16</answer>").reason())
                .isEqualTo(CotAnswer.Reason.NON_NUMERIC_ANSWER);
        assertThat(CotAnswer.parse("<think>x</think> <answer></answer>").reason())
                .isEqualTo(CotAnswer.Reason.NON_NUMERIC_ANSWER);
        assertThat(CotAnswer.parse("<think>x</think> <answer>15").reason()).isEqualTo(CotAnswer.Reason.MALFORMED);
        assertThat(CotAnswer.parse("So: <think>x</think> <answer>15</answer>").reason()).isEqualTo(CotAnswer.Reason.MALFORMED);
        assertThat(CotAnswer.parse("<think>x</think> <answer>15</answer> done").reason()).isEqualTo(CotAnswer.Reason.MALFORMED);
        assertThat(CotAnswer.parse("<answer>15</answer> <think>x</think>").reason()).isEqualTo(CotAnswer.Reason.MALFORMED);
    }

    @Test
    void theWorldsProblemsSolveBackToTheirAnswers() {
        var rng = new java.util.SplittableRandom(5);
        for (int i = 0; i < 300; i++) {
            var ex = ArithmeticTasks.example(null, rng);
            assertThat(ArithmeticTasks.solve(ex.user())).as(ex.user()).isEqualTo(CotAnswer.parse(ex.assistant()).answer());
        }
        assertThat(ArithmeticTasks.solve("What is 2 + 2?")).isNull();
    }
}
