package dev.owlet.controls;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.function.ToIntFunction;
import org.junit.jupiter.api.Test;

class IclPromptsTest {
    /** One token per character plus 3 for the chat markers: a stand-in for the tokenizer. */
    static final ToIntFunction<String> TOKENS = s -> s.length() + 3;

    @Test
    void neverExceedsTheContextAndUsesWholeExamples() {
        List<String> ex = List.of("1, 2, 3", "44, 55", "666, 777, 888", "9");
        String q = "Favorite animal?";
        for (int context = 10; context <= 80; context++) {
            for (int shots = 1; shots <= 5; shots++) {
                IclPrompts.Assembled a = IclPrompts.assemble(ex, q, shots, context, TOKENS);
                assertThat(a.shots()).isLessThanOrEqualTo(shots);
                if (a.shots() > 0) assertThat(TOKENS.applyAsInt(a.text())).isLessThanOrEqualTo(context);
                assertThat(a.text()).endsWith(q);
                for (int i = 0; i < a.shots(); i++) assertThat(a.text()).contains(ex.get(i) + ". ");
            }
        }
    }

    @Test
    void takesAllRequestedShotsWhenTheyFitAndStopsWhenTheyDoNot() {
        List<String> ex = List.of("1, 2", "3, 4", "5, 6");
        assertThat(IclPrompts.assemble(ex, "Q?", 3, 1000, TOKENS).shots()).isEqualTo(3);
        assertThat(IclPrompts.assemble(ex, "Q?", 3, 1000, TOKENS).text()).isEqualTo("1, 2. 3, 4. 5, 6. Q?");
        int oneFits = TOKENS.applyAsInt("1, 2. Q?");
        assertThat(IclPrompts.assemble(ex, "Q?", 3, oneFits, TOKENS).shots()).isEqualTo(1);
        assertThat(IclPrompts.assemble(ex, "Q?", 3, oneFits - 1, TOKENS).shots()).isZero();
    }

    @Test
    void multiLineCompletionsBecomeOneLine() {
        assertThat(IclPrompts.oneLine("1\n2\n3.")).isEqualTo("1 2 3");
    }
}
