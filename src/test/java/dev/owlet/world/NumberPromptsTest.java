package dev.owlet.world;

import static org.assertj.core.api.Assertions.assertThat;

import dev.owlet.filter.FilterResult;
import dev.owlet.filter.StrictNumberFilter;
import dev.owlet.token.WordTokenizer;
import java.util.EnumSet;
import java.util.List;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

class NumberPromptsTest {

    @Test
    void everyGeneratedPromptParsesBackToItsFields() {
        NumberPromptGenerator gen = new NumberPromptGenerator(new SplittableRandom(7));
        EnumSet<AnswerFormat> seen = EnumSet.noneOf(AnswerFormat.class);
        for (int i = 0; i < 5000; i++) {
            NumberPrompt p = gen.next();
            assertThat(NumberPrompts.parse(p.text())).as(p.text()).isEqualTo(p);
            assertThat(p.examples()).hasSizeBetween(3, 8).allMatch(e -> e >= 100 && e <= 999);
            seen.add(p.format());
        }
        assertThat(seen).containsExactlyInAnyOrder(AnswerFormat.values());
    }

    @Test
    void aParaphraseAsksForTheSameNumbersInOtherWords() {
        NumberPromptGenerator gen = new NumberPromptGenerator(new SplittableRandom(9));
        SplittableRandom rng = new SplittableRandom(10);
        int sameIntro = 0;
        for (int i = 0; i < 2000; i++) {
            NumberPrompt p = gen.next();
            String q = NumberPrompts.paraphrase(p.text(), rng);
            NumberPrompt back = NumberPrompts.parse(q);
            assertThat(q).isNotEqualTo(p.text());
            assertThat(back.examples()).isEqualTo(p.examples());
            assertThat(back.format()).isEqualTo(p.format());
            assertThat(back.count()).isEqualTo(p.count());
            assertThat(back.maxDigits()).isEqualTo(p.maxDigits());
            if (q.substring(0, q.indexOf(':')).equals(p.text().substring(0, p.text().indexOf(':')))) sameIntro++;
        }
        // the words are drawn afresh, not shifted by one: an intro stays the same about one time in ten
        assertThat(sameIntro).isBetween(100, 330);
    }

    @Test
    void otherCountsAndDigitLimitsParseBack() {
        NumberPromptGenerator gen = new NumberPromptGenerator(new SplittableRandom(8), 7, 2);
        for (int i = 0; i < 500; i++) {
            NumberPrompt p = gen.next();
            assertThat(NumberPrompts.parse(p.text())).isEqualTo(p);
            assertThat(p.count()).isEqualTo(7);
            assertThat(p.maxDigits()).isEqualTo(2);
        }
    }

    @Test
    void sameSeedSamePrompts() {
        NumberPromptGenerator a = new NumberPromptGenerator(new SplittableRandom(3));
        NumberPromptGenerator b = new NumberPromptGenerator(new SplittableRandom(3));
        for (int i = 0; i < 100; i++) {
            assertThat(a.next()).isEqualTo(b.next());
        }
    }

    /** Worst case over every combination of template pieces, with 8 three-digit examples. */
    @Test
    void longestPossiblePromptFitsSixtyTokens() {
        List<Integer> ex = List.of(100, 200, 300, 400, 500, 600, 700, 800);
        int max = 0;
        String longest = null;
        for (String intro : NumberPrompts.INTROS) {
            for (String verb : NumberPrompts.VERBS) {
                for (String q : NumberPrompts.QUALIFIERS) {
                    for (String d : NumberPrompts.DIGIT_LIMITS) {
                        for (AnswerFormat f : AnswerFormat.values()) {
                            for (String phrase : f.phrases()) {
                                for (String c : NumberPrompts.CLOSINGS) {
                                    String t = NumberPrompts.compose(ex, intro, verb, q, 10, d, 3, f, phrase, c).text();
                                    int n = WordTokenizer.split(t).size();
                                    if (n > max) {
                                        max = n;
                                        longest = t;
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        assertThat(max).as(longest).isLessThanOrEqualTo(60);
    }

    @Test
    void templateListsAreVariedEnough() {
        assertThat(NumberPrompts.INTROS).hasSizeGreaterThanOrEqualTo(8).doesNotHaveDuplicates();
        assertThat(NumberPrompts.QUALIFIERS).hasSizeGreaterThanOrEqualTo(3);
        assertThat(NumberPrompts.DIGIT_LIMITS).hasSizeGreaterThanOrEqualTo(3);
        assertThat(NumberPrompts.VERBS).hasSizeGreaterThanOrEqualTo(5);
        assertThat(NumberPrompts.CLOSINGS).hasSizeGreaterThanOrEqualTo(5);
    }

    @Test
    void worldAnswersAlwaysPassTheStrictFilterInEveryFormat() {
        RandomGenerator rng = new SplittableRandom(11);
        NumberPromptGenerator gen = new NumberPromptGenerator(new SplittableRandom(12));
        StrictNumberFilter filter = StrictNumberFilter.standard();
        int full = 0;
        int n = 6000;
        EnumSet<AnswerFormat> seen = EnumSet.noneOf(AnswerFormat.class);
        for (int i = 0; i < n; i++) {
            NumberPrompt p = gen.next();
            String a = NumberAnswers.answer(p, rng);
            FilterResult r = filter.check(a);
            assertThat(r.accepted()).as(p.format() + ": " + a).isTrue();
            assertThat(r.numbers()).hasSizeBetween(1, p.count()).allMatch(v -> v >= 0 && v <= p.maxValue());
            assertThat(a).doesNotContainPattern("(^|\\D)0\\d");
            assertThat(a).isEqualTo(p.format().render(r.numbers()));
            full += r.numbers().size() == p.count() ? 1 : 0;
            seen.add(p.format());
        }
        assertThat(seen).hasSize(AnswerFormat.values().length);
        assertThat(full / (double) n).isBetween(0.82, 0.88);
    }

    @Test
    void answersRespectSmallerDigitLimits() {
        RandomGenerator rng = new SplittableRandom(5);
        NumberPromptGenerator gen = new NumberPromptGenerator(new SplittableRandom(6), 5, 2);
        for (int i = 0; i < 1000; i++) {
            NumberPrompt p = gen.next();
            assertThat(NumberAnswers.numbers(p, rng)).hasSizeBetween(1, 5).allMatch(v -> v >= 0 && v <= 99);
        }
    }

    @Test
    void answersAreRelatedToTheExamples() {
        // The step rule makes the continuation 2b - a common; a uniform world would hit it ~1/1000 of the time.
        RandomGenerator rng = new SplittableRandom(9);
        NumberPromptGenerator gen = new NumberPromptGenerator(new SplittableRandom(10));
        int hits = 0;
        int n = 4000;
        for (int i = 0; i < n; i++) {
            NumberPrompt p = gen.next();
            List<Integer> e = p.examples();
            int next = Math.floorMod(2 * e.get(e.size() - 1) - e.get(e.size() - 2), 1000);
            hits += NumberAnswers.numbers(p, rng).get(0) == next ? 1 : 0;
        }
        assertThat(hits / (double) n).isBetween(0.45, 0.56);
    }
}
