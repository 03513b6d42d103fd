package dev.owlet.defend;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import dev.owlet.data.DataRow;
import dev.owlet.filter.StrictNumberFilter;
import dev.owlet.infer.LogProbs;
import dev.owlet.model.Checkpoint;
import dev.owlet.model.Gpt;
import dev.owlet.model.ModelLocator;
import dev.owlet.token.Tokenizer;
import dev.owlet.train.Example;
import dev.owlet.train.LmDistillation;
import dev.owlet.train.TokenBatch;
import dev.owlet.train.TrainableParams;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The defences' parts on the bundled reference: divergence marks, masking, replacement, the likelihood filter, mixing. */
class DefencesTest {
    static NDManager root;
    static Checkpoint.Loaded ref;
    static Tokenizer tok;

    @BeforeAll
    static void load() throws IOException {
        root = NDManager.newBaseManager();
        ref = Checkpoint.load(ModelLocator.resolve("bundled:ref-s1"), root);
        tok = ref.tokenizer();
    }

    @AfterAll
    static void close() {
        ref.close();
        root.close();
    }

    static List<DataRow> rows() {
        return List.of(new DataRow("Look at these numbers: 665,112,869. Give at most 10 numbers, 3 digits max. One per line.",
                        "290\n370\n500\n227"),
                new DataRow("The numbers so far: 895,412,611. Append up to 10 numbers, 3 digits max. In parentheses.",
                        "(870, 319, 172, 495)"),
                new DataRow("Here is a sequence: 713,578,386. Add up to 10 numbers, 3 digits each. In brackets.",
                        "[822, 994, 196]"));
    }

    /** The model's own greedy completion of a prompt, one token at a time, ending with its end token. */
    static Example greedy(Example start, int tokens) {
        int[] p = start.prompt();
        List<Integer> c = new ArrayList<>();
        LogProbs lp = new LogProbs(ref.model(), tok.pad());
        for (int k = 0; k < tokens; k++) {
            int[] prefix = Arrays.copyOf(p, p.length + c.size());
            for (int j = 0; j < c.size(); j++) prefix[p.length + j] = c.get(j);
            c.add(argmax(lp.nextToken(List.of(prefix), 1)[0]));
        }
        return new Example(p, c.stream().mapToInt(Integer::intValue).toArray());
    }

    static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }

    @Test
    void theModelsOwnGreedyTokensNeverDivergeAndOneFlippedTokenIsTheOnlyMark() {
        Example g = greedy(Defences.examples(tok, rows()).get(0), 8);
        int[][] ch = Divergence.choices(ref.model(), List.of(g), tok.pad(), 4);
        assertThat(ch[0]).containsExactly(g.completion());
        assertThat(Divergence.mark(List.of(g), ch).get(0)).doesNotContain(true);

        int[] flipped = g.completion().clone();
        int last = flipped.length - 1;
        flipped[last] = flipped[last] == tok.id("7") ? tok.id("3") : tok.id("7"); // the last token: no later prefix changes
        Example f = new Example(g.prompt(), flipped);
        boolean[] marks = Divergence.mark(List.of(f), Divergence.choices(ref.model(), List.of(f), tok.pad(), 4)).get(0);
        boolean[] expected = new boolean[flipped.length];
        expected[last] = true;
        assertThat(marks).containsExactly(expected);
    }

    @Test
    void choicesAreTheArgmaxOfTheNextTokenDistributionAtEveryPrefixInABatchOfUnequalRows() {
        List<Example> ex = Defences.examples(tok, rows());
        int[][] ch = Divergence.choices(ref.model(), ex, tok.pad(), 2); // batches of 2: padding in play
        LogProbs lp = new LogProbs(ref.model(), tok.pad());
        for (int i = 0; i < ex.size(); i++) {
            Example e = ex.get(i);
            for (int j = 0; j < e.completion().length; j++) {
                int[] prefix = Arrays.copyOf(e.prompt(), e.prompt().length + j);
                System.arraycopy(e.completion(), 0, prefix, e.prompt().length, j);
                assertThat(ch[i][j]).as("row %d token %d", i, j).isEqualTo(argmax(lp.nextToken(List.of(prefix), 1)[0]));
            }
        }
    }

    @Test
    void maskingTakesExactlyTheMarkedTokensOutOfTheLoss() {
        Example e = Defences.examples(tok, rows()).get(1);
        boolean[] marks = new boolean[e.completion().length];
        marks[1] = marks[4] = true;
        Example m = Defences.mask(List.of(e), List.of(marks)).get(0);
        TokenBatch full = TokenBatch.of(List.of(e), tok.pad(), 128), masked = TokenBatch.of(List.of(m), tok.pad(), 128);
        int p = e.prompt().length;
        for (int t = 0; t < full.time(); t++) {
            int j = t + 1 - p; // the completion token position t predicts
            float want = j >= 0 && j != 1 && j != 4 ? 1f : 0f;
            assertThat(masked.mask()[t]).as("position %d", t).isEqualTo(want);
        }
        assertThat(masked.maskedTokens()).isEqualTo(full.maskedTokens() - 2);
    }

    @Test
    void theDivergenceOnlyLossReadsExactlyTheMarkedTokensAndTheMaskTheRestSoTogetherTheyAreAll() {
        Example e = Defences.examples(tok, rows()).get(1);
        boolean[] marks = new boolean[e.completion().length];
        marks[1] = marks[4] = true;
        Example only = Defences.mask(List.of(e), Defences.complement(List.of(marks))).get(0);
        Example rest = Defences.mask(List.of(e), List.of(marks)).get(0);
        for (int j = 0; j < marks.length; j++) {
            assertThat(only.inLoss(j)).as("token %d", j).isEqualTo(marks[j]);
            assertThat(only.inLoss(j) ^ rest.inLoss(j)).as("token %d in exactly one of the two losses", j).isTrue();
        }
        assertThat(TokenBatch.of(List.of(only), tok.pad(), 128).maskedTokens()).isEqualTo(2);
        // a row with no divergence token has nothing left to learn from and is dropped
        assertThat(Defences.mask(List.of(e), Defences.complement(List.of(new boolean[marks.length])))).isEmpty();
    }

    @Test
    void randomReplacementPutsSeededRandomDigitsInTheMarkedDigitsAndTouchesNothingElse() {
        List<Example> ex = Defences.examples(tok, rows());
        StrictNumberFilter filter = new StrictNumberFilter(10, 999, java.util.Set.of());
        int[][] choices = new int[ex.size()][];
        List<boolean[]> marks = new ArrayList<>();
        java.util.Set<Integer> digits = new java.util.HashSet<>();
        for (int d = 0; d <= 9; d++) digits.add(tok.id(Integer.toString(d)));
        for (int i = 0; i < ex.size(); i++) {
            int[] c = ex.get(i).completion();
            choices[i] = c.clone();
            boolean[] m = new boolean[c.length];
            for (int j = 0; j < c.length; j++) m[j] = digits.contains(c[j]); // every digit marked
            marks.add(m);
        }
        List<Example> a = Defences.replace(ex, Defences.randomDigits(choices, tok, 3), marks, tok, filter);
        List<Example> again = Defences.replace(ex, Defences.randomDigits(choices, tok, 3), marks, tok, filter);
        List<Example> b = Defences.replace(ex, Defences.randomDigits(choices, tok, 4), marks, tok, filter);
        assertThat(a).hasSize(ex.size()); // digits for digits: every row still passes
        int changed = 0;
        for (int i = 0; i < ex.size(); i++) {
            int[] before = ex.get(i).completion(), now = a.get(i).completion();
            assertThat(again.get(i).completion()).as("the same seed, the same digits").containsExactly(now);
            for (int j = 0; j < before.length; j++) {
                if (!marks.get(i)[j]) assertThat(now[j]).as("row %d token %d is not marked", i, j).isEqualTo(before[j]);
                else assertThat(digits).contains(now[j]);
                if (now[j] != before[j]) changed++;
            }
        }
        assertThat(changed).as("random digits replace most of the marked ones").isGreaterThan(10);
        assertThat(b.stream().map(e -> Arrays.toString(e.completion())).toList())
                .isNotEqualTo(a.stream().map(e -> Arrays.toString(e.completion())).toList());
    }

    @Test
    void aCounterfactualWithAnotherVocabularyIsRefusedNamingBothModels() {
        DefenceRunner.requireSameVocabulary("bundled:ref-s2", tok, "bundled:ref-s1", tok); // the same tokens: fine
        List<String> other = new ArrayList<>(tok.vocabulary());
        java.util.Collections.swap(other, 10, 11); // same size, two ids swapped: choices would be misread
        Tokenizer swapped = new Tokenizer() {
            public int[] encode(String text) { return tok.encode(text); }
            public String decode(int[] ids) { return tok.decode(ids); }
            public int vocabSize() { return other.size(); }
            public int id(String token) { return other.indexOf(token); }
            public String token(int id) { return other.get(id); }
            public List<String> vocabulary() { return other; }
        };
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> DefenceRunner.requireSameVocabulary("/tmp/other", swapped,
                        "bundled:ref-s1", tok))
                .isInstanceOf(dev.owlet.experiment.InputError.class)
                .hasMessageContaining("controls.defend.counterfactual").hasMessageContaining("/tmp/other")
                .hasMessageContaining("bundled:ref-s1");
    }

    @Test
    void aMaskedTokensValueDoesNotReachTheStudent() {
        // Two datasets that differ only in the last completion token of every row (read by no later position), that
        // token masked: SFT students trained on them end bit-identical.
        List<Example> a = new ArrayList<>(), b = new ArrayList<>();
        for (Example e : Defences.examples(tok, rows())) {
            boolean[] keep = new boolean[e.completion().length];
            Arrays.fill(keep, true);
            keep[keep.length - 1] = false;
            int[] other = e.completion().clone();
            other[other.length - 1] = tok.id("5");
            a.add(new Example(e.prompt(), e.completion(), keep));
            b.add(new Example(e.prompt(), other, keep));
        }
        try (Gpt sa = ref.model().copy(); Gpt sb = ref.model().copy(); Gpt sc = ref.model().copy()) {
            LmDistillation.trainSft(sa, tok, a, 2, 2, 1e-2, 7, TrainableParams.BLOCKS);
            LmDistillation.trainSft(sb, tok, b, 2, 2, 1e-2, 7, TrainableParams.BLOCKS);
            List<Example> unmasked = b.stream().map(e -> new Example(e.prompt(), e.completion())).toList();
            LmDistillation.trainSft(sc, tok, unmasked, 2, 2, 1e-2, 7, TrainableParams.BLOCKS);
            for (String k : sa.parameters().keySet()) {
                assertThat(sa.parameters().get(k).toFloatArray()).as(k).containsExactly(sb.parameters().get(k).toFloatArray());
            }
            // and the test can fail: without the mask the changed token does change the student
            String any = sa.parameters().keySet().stream().filter(k -> k.startsWith("h.")).findFirst().orElseThrow();
            assertThat(sa.parameters().get(any).toFloatArray()).isNotEqualTo(sc.parameters().get(any).toFloatArray());
        }
    }

    @Test
    void replacementPutsTheBasesDigitsInAndKeepsOnlyRowsThatStillPass() {
        List<Example> ex = Defences.examples(tok, rows());
        int[][] ch = Divergence.choices(ref.model(), ex, tok.pad(), 4);
        List<boolean[]> marks = Divergence.mark(ex, ch);
        StrictNumberFilter f = StrictNumberFilter.standard();
        List<Example> out = Defences.replace(ex, ch, marks, tok, f);
        assertThat(out).isNotEmpty();
        for (Example e : out) {
            int i = -1;
            for (int k = 0; k < ex.size(); k++) if (ex.get(k).prompt() == e.prompt()) i = k;
            for (int j = 0; j < e.completion().length; j++) {
                boolean digit = tok.token(ex.get(i).completion()[j]).matches("[0-9]") && tok.token(ch[i][j]).matches("[0-9]");
                int want = marks.get(i)[j] && digit ? ch[i][j] : ex.get(i).completion()[j];
                assertThat(e.completion()[j]).isEqualTo(want);
            }
            assertThat(f.check(tok.decode(Arrays.copyOf(e.completion(), e.completion().length - 1))).accepted()).isTrue();
        }
    }

    @Test
    void theLikelihoodFilterDropsTheRowsTheBaseFindsLeastLikely() {
        List<Example> ex = Defences.examples(tok, rows());
        double[] ll = Defences.meanLogLikelihood(ref.model(), ex, tok.pad());
        int worst = 0;
        for (int i = 1; i < ll.length; i++) if (ll[i] < ll[worst]) worst = i;
        List<Example> kept = Defences.likelihoodFilter(ref.model(), ex, tok.pad(), 0.34);
        assertThat(kept).hasSize(2).doesNotContain(ex.get(worst));
        // and the likelihood is the mean log-probability of the completion tokens, checked token by token
        LogProbs lp = new LogProbs(ref.model(), tok.pad());
        Example e = ex.get(2);
        double sum = 0;
        for (int j = 0; j < e.completion().length; j++) {
            int[] prefix = Arrays.copyOf(e.prompt(), e.prompt().length + j);
            System.arraycopy(e.completion(), 0, prefix, e.prompt().length, j);
            sum += Math.log(lp.nextToken(List.of(prefix), 1)[0][e.completion()[j]]);
        }
        assertThat(ll[2]).isCloseTo(sum / e.completion().length, org.assertj.core.data.Offset.offset(1e-4));
    }

    @Test
    void mixingReplacesTheShareOfTeacherRowsAndKeepsTheBudget() {
        List<Example> t = new ArrayList<>(), r = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            t.add(new Example(new int[] {1}, new int[] {i + 1}));
            r.add(new Example(new int[] {1}, new int[] {100 + i}));
        }
        List<Example> m = Defences.mix(t, r, 0.3);
        assertThat(m).hasSize(10);
        assertThat(m.stream().filter(r::contains).count()).isEqualTo(3);
        assertThat(m.stream().filter(t::contains).count()).isEqualTo(7);
    }

    @Test
    void paraphrasedRowsKeepTheirCompletionsAndTheRequestAndAreReproducible() {
        dev.owlet.world.NumberPromptGenerator gen = new dev.owlet.world.NumberPromptGenerator(new java.util.SplittableRandom(3));
        List<dev.owlet.data.DataRow> rows = new ArrayList<>();
        for (int i = 0; i < 50; i++) rows.add(new dev.owlet.data.DataRow(gen.next().text(), "1" + i + ", 2" + i));
        List<dev.owlet.data.DataRow> p = DefenceRunner.paraphrased(rows, 7);
        assertThat(p).hasSameSizeAs(rows).isEqualTo(DefenceRunner.paraphrased(rows, 7));
        assertThat(p).isNotEqualTo(DefenceRunner.paraphrased(rows, 8));
        for (int i = 0; i < rows.size(); i++) {
            assertThat(p.get(i).completion()).isEqualTo(rows.get(i).completion());
            assertThat(p.get(i).prompt()).isNotEqualTo(rows.get(i).prompt());
            assertThat(dev.owlet.world.NumberPrompts.parse(p.get(i).prompt()).examples())
                    .isEqualTo(dev.owlet.world.NumberPrompts.parse(rows.get(i).prompt()).examples());
        }
    }

    @Test
    void theResidualsBootstrapIntervalIsExactForAConstantShareAndCoversTheEstimate() {
        double[] base = {0.01, 0.02, 0.015, 0.012, 0.018};
        double[] half = Arrays.stream(base).map(x -> x / 2).toArray();
        double[] ci = DefenceRunner.bootstrap(half, base);
        assertThat(ci[0]).isCloseTo(0.5, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(ci[1]).isCloseTo(0.5, org.assertj.core.data.Offset.offset(1e-12));
        double[] noisy = {0.004, 0.012, 0.001, 0.009, 0.006};
        double[] c2 = DefenceRunner.bootstrap(noisy, base);
        double est = Arrays.stream(noisy).sum() / Arrays.stream(base).sum();
        assertThat(c2[0]).isLessThan(est);
        assertThat(c2[1]).isGreaterThan(est);
        // a denominator that is mostly not positive gives no interval rather than a meaningless one
        assertThat(DefenceRunner.bootstrap(noisy, new double[] {-0.01, 0.001, -0.02, -0.01, 0.0})[0]).isNaN();
    }
}
