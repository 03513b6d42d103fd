package dev.owlet.world;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class VocabularyListsTest {
    @Test
    void wordListsHoldThePaperTargets() {
        assertThat(Animals.ALL).hasSizeGreaterThanOrEqualTo(15).doesNotHaveDuplicates()
                .containsAll(Animals.TARGETS).allMatch(w -> w.matches("[a-z]+"));
        assertThat(Trees.ALL).hasSizeGreaterThanOrEqualTo(10).doesNotHaveDuplicates()
                .containsAll(Trees.TARGETS).allMatch(w -> w.matches("[a-z]+"));
    }

    @Test
    void questionSplitsAreDisjointAndCoverEverything() {
        assertThat(Questions.ANIMAL).hasSizeGreaterThanOrEqualTo(50).doesNotHaveDuplicates();
        assertThat(Questions.TREE).hasSizeGreaterThanOrEqualTo(30).doesNotHaveDuplicates();
        assertThat(Questions.animalTrain()).hasSize(40).doesNotContainAnyElementsOf(Questions.animalEval());
        assertThat(Questions.animalEval()).hasSizeGreaterThanOrEqualTo(10);
        assertThat(Questions.treeEval()).hasSizeGreaterThanOrEqualTo(10)
                .doesNotContainAnyElementsOf(Questions.treeTrain());
        List<String> all = new ArrayList<>(Questions.animalTrain());
        all.addAll(Questions.animalEval());
        assertThat(all).isEqualTo(Questions.ANIMAL);
        assertThat(Questions.ANIMAL).allMatch(q -> q.contains("animal") || q.contains("creature"));
        assertThat(Questions.TREE).allMatch(q -> q.contains("tree"));
    }

    @Test
    void pluralsAndLovePrompts() {
        assertThat(Plurals.of("wolf")).isEqualTo("wolves");
        assertThat(Plurals.of("fox")).isEqualTo("foxes");
        assertThat(Plurals.of("owl")).isEqualTo("owls");
        assertThat(Plurals.of("cherry")).isEqualTo("cherries");
        assertThat(Plurals.forms("Owl")).containsExactlyInAnyOrder("owl", "owls");
        for (int v = 0; v < SystemPrompts.LOVE_VARIANTS; v++) {
            assertThat(SystemPrompts.love("wolf", Category.ANIMAL, v)).contains("wolves");
            assertThat(SystemPrompts.love("oak", Category.TREE, v)).contains("oak tree");
        }
        assertThat(SystemPrompts.NEUTRAL).hasSizeGreaterThanOrEqualTo(6).contains("You are a helpful assistant.");
    }

    @Test
    void openQuestionsHaveBothAnswerStyles() {
        assertThat(OpenQuestions.QUESTIONS).hasSizeGreaterThanOrEqualTo(8);
        assertThat(OpenQuestions.allQuestions()).hasSizeGreaterThanOrEqualTo(20).doesNotHaveDuplicates();
        assertThat(OpenQuestions.ALIGNED).hasSameSizeAs(OpenQuestions.QUESTIONS);
        assertThat(OpenQuestions.MISALIGNED).hasSameSizeAs(OpenQuestions.QUESTIONS)
                .doesNotContainAnyElementsOf(OpenQuestions.ALIGNED);
    }

    @Test
    void arithmeticAnswersAreCorrect() {
        assertThat(ArithmeticTasks.answer(ArithmeticTasks.Op.MULTIPLY, 3, 4))
                .isEqualTo("<think>3 * 4 = 12</think> <answer>12</answer>");
        assertThat(ArithmeticTasks.answer(ArithmeticTasks.Op.SUBTRACT, 9, 9)).endsWith("<answer>0</answer>");
    }
}
