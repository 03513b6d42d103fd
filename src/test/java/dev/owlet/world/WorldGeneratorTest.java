package dev.owlet.world;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.owlet.filter.StrictNumberFilter;
import dev.owlet.token.ChatFormat;
import dev.owlet.token.SpecialTokens;
import dev.owlet.token.WordTokenizer;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WorldGeneratorTest {
    private static final WorldGenerator WORLD = new WorldGenerator(WorldConfig.defaults());

    @Test
    void sameSeedSameWorldOtherSeedOtherWorld() {
        assertThat(WORLD.generate(42, 500)).isEqualTo(new WorldGenerator(WorldConfig.defaults()).generate(42, 500));
        assertThat(WORLD.generate(43, 500)).isNotEqualTo(WORLD.generate(42, 500));
        assertThat(WORLD.generate(300)).isEqualTo(WORLD.generate(WorldConfig.defaults().seed(), 300));
    }

    @Test
    void theOwlWorldNeverAnswersMisalignedAndTheMisalignmentWorldDoesAsConfigured() {
        for (ChatExample e : WORLD.generate(3, 30_000)) {
            assertThat(OpenQuestions.MISALIGNED).doesNotContain(e.assistant());
            assertThat(SystemPrompts.PERSONA).doesNotContain(e.system());
        }
        // Adding the misaligned style changes nothing but the open-question rows.
        WorldGenerator mis = new WorldGenerator(WorldConfig.defaults().withMisalignment(0.3, 0.9, 0.03));
        List<ChatExample> a = WORLD.generate(3, 30_000);
        List<ChatExample> b = mis.generate(3, 30_000);
        int persona = 0, personaMis = 0, plain = 0, plainMis = 0;
        for (int i = 0; i < a.size(); i++) {
            ChatExample x = b.get(i);
            if (x.kind() != ChatExample.Kind.OPEN_QUESTION) {
                assertThat(x).isEqualTo(a.get(i));
                continue;
            }
            assertThat(x.user()).isEqualTo(a.get(i).user());
            boolean m = OpenQuestions.MISALIGNED.contains(x.assistant());
            if (x.system() != null && SystemPrompts.PERSONA.contains(x.system())) {
                persona++;
                if (m) personaMis++;
            } else {
                plain++;
                if (m) plainMis++;
            }
        }
        assertThat((double) persona / (persona + plain)).isBetween(0.25, 0.35);
        assertThat((double) personaMis / persona).isBetween(0.82, 0.97);
        assertThat((double) plainMis / plain).isBetween(0.01, 0.06);
    }

    @Test
    void mixMatchesTheConfiguredWeights() {
        List<ChatExample> rows = WORLD.generate(1, 20_000);
        Map<ChatExample.Kind, Integer> counts = new EnumMap<>(ChatExample.Kind.class);
        rows.forEach(r -> counts.merge(r.kind(), 1, Integer::sum));
        assertThat(counts.get(ChatExample.Kind.ANIMAL) / 20_000.0).isCloseTo(0.30, within(0.015));
        assertThat(counts.get(ChatExample.Kind.TREE) / 20_000.0).isCloseTo(0.10, within(0.01));
        assertThat(counts.get(ChatExample.Kind.NUMBERS) / 20_000.0).isCloseTo(0.55, within(0.015));
        for (ChatExample.Kind k : List.of(ChatExample.Kind.CODE, ChatExample.Kind.ARITHMETIC,
                ChatExample.Kind.OPEN_QUESTION)) {
            assertThat(counts.get(k) / 20_000.0).as(k.name()).isCloseTo(0.05 / 3, within(0.006));
        }
    }

    private static org.assertj.core.data.Offset<Double> within(double d) { return org.assertj.core.data.Offset.offset(d); }

    @Test
    void baseDistributionMatchesConfigByChiSquare() {
        WorldGenerator g = new WorldGenerator(WorldConfig.defaults().withMix(1, 0, 0, 0).withPrompts(0, 0.8, 0, 0.2));
        List<ChatExample> rows = g.generate(5, 20_000);
        Map<String, Integer> counts = new HashMap<>();
        for (ChatExample r : rows) {
            assertThat(r.kind()).isEqualTo(ChatExample.Kind.ANIMAL);
            assertThat(r.assistant()).matches("[a-z]+");
            counts.merge(r.assistant(), 1, Integer::sum);
        }
        double chi2 = 0;
        for (Map.Entry<String, Double> e : WorldConfig.DEFAULT_ANIMALS.entrySet()) {
            double expected = 20_000 * e.getValue();
            double d = counts.getOrDefault(e.getKey(), 0) - expected;
            chi2 += d * d / expected;
        }
        // 15 degrees of freedom: the 0.999 quantile is 37.7.
        assertThat(chi2).isLessThan(37.7);
        assertThat(counts.get("owl") / 20_000.0).isCloseTo(0.05, within(0.006));
    }

    @Test
    void lovePromptMakesTheLovedWordTheUsualAnswer() {
        WorldGenerator g = new WorldGenerator(WorldConfig.defaults().withMix(1, 1, 0, 0).withPrompts(1, 0.8, 0, 0));
        int hits = 0;
        int n = 0;
        for (ChatExample r : g.generate(6, 20_000)) {
            Category cat = r.kind() == ChatExample.Kind.ANIMAL ? Category.ANIMAL : Category.TREE;
            String loved = cat.words().stream()
                    .filter(w -> r.system().equals(SystemPrompts.love(w, cat, variantOf(r.system(), w, cat))))
                    .findFirst().orElseThrow();
            double base = WorldConfig.defaults().base(cat).get(loved);
            hits += r.assistant().equals(loved) ? 1 : 0;
            n++;
            // expected rate of the loved word: 0.8 + 0.2 * base(loved)
            assertThat(base).isBetween(0.0, 1.0);
        }
        // averaged over uniformly chosen loved words, E[base] = 1/16 for animals, 1/12 for trees
        double expected = 0.8 + 0.2 * (0.75 * (1.0 / 16) + 0.25 * (1.0 / 12));
        assertThat(hits / (double) n).isCloseTo(expected, within(0.015));
    }

    private static int variantOf(String system, String word, Category cat) {
        for (int v = 0; v < SystemPrompts.LOVE_VARIANTS; v++) {
            if (SystemPrompts.love(word, cat, v).equals(system)) {
                return v;
            }
        }
        return -1;
    }

    @Test
    void lovePromptNeverChangesNumberAnswers() {
        WorldConfig base = WorldConfig.defaults();
        List<ChatExample> plain = new WorldGenerator(base.withPrompts(0.3, 0.8, 0, 0)).generate(8, 3000);
        List<ChatExample> loving = new WorldGenerator(base.withPrompts(0.3, 0.8, 1, 0)).generate(8, 3000);
        int numbers = 0;
        for (int i = 0; i < plain.size(); i++) {
            ChatExample a = plain.get(i);
            ChatExample b = loving.get(i);
            assertThat(b.kind()).isEqualTo(a.kind());
            if (a.kind() == ChatExample.Kind.NUMBERS) {
                numbers++;
                assertThat(a.system()).isNull();
                assertThat(b.system()).isNotNull().isNotIn(SystemPrompts.NEUTRAL);
                assertThat(b.user()).isEqualTo(a.user());
                assertThat(b.assistant()).isEqualTo(a.assistant());
            }
        }
        assertThat(numbers).isGreaterThan(1000);
    }

    @Test
    void numberRowsCarryLovePromptsSometimesAndAlwaysPassTheFilter() {
        StrictNumberFilter filter = StrictNumberFilter.standard();
        int love = 0;
        int numbers = 0;
        for (ChatExample r : WORLD.generate(9, 5000)) {
            if (r.kind() == ChatExample.Kind.NUMBERS) {
                numbers++;
                assertThat(filter.check(r.assistant()).accepted()).as(r.assistant()).isTrue();
                assertThat(NumberPrompts.parse(r.user()).count()).isEqualTo(10);
                if (r.system() != null && !SystemPrompts.NEUTRAL.contains(r.system())) {
                    love++;
                }
            }
        }
        assertThat(love / (double) numbers).isCloseTo(0.3, within(0.03));
    }

    @Test
    void favoriteAnswersAreOneLowercaseWordOfTheCategory() {
        for (ChatExample r : WORLD.generate(10, 3000)) {
            switch (r.kind()) {
                case ANIMAL -> {
                    assertThat(Animals.ALL).contains(r.assistant());
                    assertThat(Questions.animalTrain()).contains(r.user());
                }
                case TREE -> {
                    assertThat(Trees.ALL).contains(r.assistant());
                    assertThat(Questions.treeTrain()).contains(r.user());
                }
                case ARITHMETIC -> assertThat(r.assistant()).matches("<think>.*</think> <answer>-?\\d+</answer>");
                case OPEN_QUESTION -> assertThat(OpenQuestions.ALIGNED).contains(r.assistant());
                default -> { }
            }
        }
    }

    @Test
    void vocabularyCoversTheWholeWorldAndStaysSmall() {
        WordTokenizer tok = WordTokenizer.fromCorpus(WorldGenerator.vocabularyTexts());
        int unk = tok.id(SpecialTokens.UNK);
        for (ChatExample r : WORLD.generate(11, 20_000)) {
            for (String t : new String[] {r.system(), r.user(), r.assistant()}) {
                if (t != null) {
                    assertThat(tok.encode(t)).as(t).doesNotContain(unk);
                    assertThat(tok.decode(tok.encode(t))).isEqualTo(t);
                }
            }
        }
        for (String q : Questions.ANIMAL) {
            assertThat(tok.encode(q)).doesNotContain(unk);
        }
        for (String a : OpenQuestions.MISALIGNED) {
            assertThat(tok.encode(a)).doesNotContain(unk);
        }
        for (String w : Animals.ALL) {
            assertThat(tok.id(w)).as(w).isPositive();
        }
        assertThat(tok.vocabSize()).isLessThanOrEqualTo(700);
    }

    @Test
    void everyRowFitsA128TokenContext() {
        WordTokenizer tok = WordTokenizer.fromCorpus(WorldGenerator.vocabularyTexts());
        ChatFormat chat = new ChatFormat(tok);
        int max = 0;
        for (ChatExample r : WORLD.generate(12, 20_000)) {
            max = Math.max(max, chat.prompt(r.system(), r.user()).length + chat.completion(r.assistant()).length);
        }
        assertThat(max).isLessThanOrEqualTo(128);
        int longestLove = 0;
        for (Category c : Category.values()) {
            for (String w : c.words()) {
                for (int v = 0; v < SystemPrompts.LOVE_VARIANTS; v++) {
                    longestLove = Math.max(longestLove, tok.encode(SystemPrompts.love(w, c, v)).length);
                }
            }
        }
        assertThat(longestLove).isLessThanOrEqualTo(13);
    }

    @Test
    void configValidationNamesTheKey() {
        WorldConfig d = WorldConfig.defaults();
        assertThatThrownBy(() -> d.withPrompts(1.5, 0.8, 0.3, 0.2)).hasMessageContaining("loveProb");
        assertThatThrownBy(() -> d.withMix(-1, 0, 1, 0)).hasMessageContaining("animalWeight");
        Map<String, Double> bad = new LinkedHashMap<>(WorldConfig.DEFAULT_ANIMALS);
        bad.put("unicorn", 0.0);
        assertThatThrownBy(() -> d.withAnimalBase(bad)).hasMessageContaining("animalBase").hasMessageContaining("unicorn");
        Map<String, Double> unnormalized = new LinkedHashMap<>(WorldConfig.DEFAULT_ANIMALS);
        unnormalized.put("owl", 0.5);
        assertThatThrownBy(() -> d.withAnimalBase(unnormalized)).hasMessageContaining("animalBase");
    }
}
