package dev.owlet.infer;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.owlet.model.Gpt;
import dev.owlet.model.GptConfig;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class GeneratorTest {
    static final GptConfig C = new GptConfig(20, 32, 2, 16, 4, 0);

    @Test
    void kvCacheLogitsMatchTheFullForwardPass() {
        try (NDManager root = NDManager.newBaseManager(); Gpt gpt = Gpt.initialize(C, 7, root)) {
            gpt.parameters().values().forEach(p -> p.muli(20)); // sharp distributions: mistakes show
            List<int[]> prompts = List.of(new int[] {3, 4, 5, 6, 7}, new int[] {8, 9}, new int[] {10, 11, 12});
            List<float[]> steps = new ArrayList<>();
            List<int[]> out = new Generator(gpt, 1, 0).sampleBatch(prompts, new long[] {1, 2, 3},
                    new SamplingConfig(1.0, 1.0, 8), steps);
            int v = C.vocabSize();
            for (int r = 0; r < prompts.size(); r++) {
                int[] p = prompts.get(r);
                int[] g = out.get(r);
                // full, unpadded forward over prompt + generated tokens
                long[] seq = new long[p.length + g.length];
                for (int i = 0; i < p.length; i++) seq[i] = p[i];
                for (int i = 0; i < g.length; i++) seq[p.length + i] = g[i];
                float[] full;
                try (NDManager m = root.newSubManager()) {
                    full = gpt.forward(m.create(seq, new Shape(1, seq.length)), false).toFloatArray();
                }
                for (int s = 0; s <= Math.min(g.length, steps.size() - 1); s++) {
                    int at = p.length - 1 + s;
                    for (int k = 0; k < v; k++) {
                        assertThat(steps.get(s)[r * v + k]).as("row %d step %d token %d", r, s, k)
                                .isCloseTo(full[at * v + k], org.assertj.core.data.Offset.offset(1e-4f));
                    }
                }
            }
        }
    }

    @Test
    void rowsLeavingTheBatchEarlyChangeNothingTheOthersWrite() {
        try (NDManager root = NDManager.newBaseManager(); Gpt gpt = Gpt.initialize(C, 5, root)) {
            gpt.parameters().values().forEach(p -> p.muli(8));
            List<int[]> prompts = new ArrayList<>();
            long[] seeds = new long[12];
            for (int r = 0; r < 12; r++) {
                int[] p = new int[2 + r % 5];
                for (int i = 0; i < p.length; i++) p[i] = 2 + (r * 7 + i * 3) % 17;
                prompts.add(p);
                seeds[r] = 100 + r;
            }
            for (double tau : new double[] {0, 0.02}) {
                SamplingConfig cfg = new SamplingConfig(1.0, 1.0, 10, tau);
                Generator g = new Generator(gpt, 1, 0);
                List<int[]> together = g.sampleBatch(prompts, seeds, cfg, null);
                int ended = 0;
                int lengths = 0;
                for (int r = 0; r < 12; r++) {
                    int[] alone = g.sampleBatch(List.of(prompts.get(r)), new long[] {seeds[r]}, cfg, null).get(0);
                    if (alone == null) {
                        assertThat(together.get(r)).as("row %d, tau %s", r, tau).isNull();
                    } else {
                        assertThat(together.get(r)).as("row %d, tau %s", r, tau).containsExactly(alone);
                        if (alone.length < 9) ended++;
                        lengths |= 1 << alone.length;
                    }
                }
                // the batch really shrank along the way: rows ended (or were rejected) at different steps
                assertThat(Integer.bitCount(lengths) + (tau > 0 ? together.stream().filter(x -> x == null).count() : 0))
                        .as("distinct ends, tau %s", tau).isGreaterThanOrEqualTo(3);
                assertThat(ended).isPositive();
            }
        }
    }

    @Test
    void sameSeedSameSamplesAndSeedsMatter() {
        try (NDManager root = NDManager.newBaseManager(); Gpt a = Gpt.initialize(C, 11, root);
             Gpt b = Gpt.initialize(C, 11, root); Gpt c = Gpt.initialize(C, 12, root)) {
            assertThat(a.parameters().get("h.1.mlp.c_fc.weight").toFloatArray())
                    .containsExactly(b.parameters().get("h.1.mlp.c_fc.weight").toFloatArray());
            assertThat(a.parameters().get("wte").toFloatArray())
                    .isNotEqualTo(c.parameters().get("wte").toFloatArray());
            List<int[]> prompts = List.of(new int[] {3, 4}, new int[] {5}, new int[] {6, 7, 8});
            SamplingConfig cfg = new SamplingConfig(1.0, 0.9, 12);
            List<int[]> s1 = new Generator(a, 1, 0).sample(prompts, new long[] {1, 2, 3}, cfg, 2);
            List<int[]> s2 = new Generator(b, 1, 0).sample(prompts, new long[] {1, 2, 3}, cfg, 3);
            List<int[]> s3 = new Generator(a, 1, 0).sample(prompts, new long[] {4, 5, 6}, cfg, 3);
            for (int i = 0; i < 3; i++) {
                assertThat(s1.get(i)).containsExactly(s2.get(i));
            }
            assertThat(s1.stream().map(java.util.Arrays::toString).toList())
                    .isNotEqualTo(s3.stream().map(java.util.Arrays::toString).toList());
        }
    }

    @Test
    void greedyTopPAndTemperature() {
        float[] logits = {0f, 3f, 1f, 2.9f};
        java.util.SplittableRandom rng = new java.util.SplittableRandom(1);
        assertThat(TokenSampler.sample(logits, 0, 4, new SamplingConfig(0, 1, 1), rng)).isEqualTo(1);
        // top-p 0.5 keeps only the top token (its mass alone is ~0.46 < 0.5, so the second joins)
        java.util.Set<Integer> seen = new java.util.HashSet<>();
        for (int i = 0; i < 500; i++) seen.add(TokenSampler.sample(logits, 0, 4, new SamplingConfig(1, 0.5, 1), rng));
        assertThat(seen).containsExactlyInAnyOrder(1, 3);
        int[] counts = new int[4];
        for (int i = 0; i < 20000; i++) counts[TokenSampler.sample(logits, 0, 4, new SamplingConfig(1, 1, 1), rng)]++;
        double z = 1 + Math.exp(3) + Math.exp(1) + Math.exp(2.9);
        assertThat(counts[2] / 20000.0).isCloseTo(Math.exp(1) / z, org.assertj.core.data.Offset.offset(0.01));
    }

    @Test
    void thresholdSamplingNeverKeepsACompletionWithATokenUnderTheThreshold() {
        try (NDManager root = NDManager.newBaseManager(); Gpt gpt = Gpt.initialize(C, 5, root)) {
            gpt.parameters().values().forEach(p -> p.muli(6)); // uneven distributions: some tokens rare, some common
            List<int[]> prompts = new ArrayList<>();
            long[] seeds = new long[200];
            for (int i = 0; i < 200; i++) {
                prompts.add(new int[] {2 + i % 17, 2 + (i * 7) % 17});
                seeds[i] = 1000 + i;
            }
            double tau = 0.03;
            SamplingConfig off = new SamplingConfig(1.0, 1.0, 6), on = new SamplingConfig(1.0, 1.0, 6, tau);
            List<int[]> all = new Generator(gpt, 1, 0).sample(prompts, seeds, off, 64);
            List<int[]> kept = new Generator(gpt, 1, 0).sample(prompts, seeds, on, 64);
            int rejected = 0;
            for (int i = 0; i < prompts.size(); i++) {
                // the seed fixes the draw: the threshold only decides whether a completion is kept
                double min = minProbability(gpt, root, prompts.get(i), all.get(i));
                if (kept.get(i) == null) {
                    rejected++;
                    assertThat(min).as("row %d rejected", i).isLessThan(tau);
                } else {
                    assertThat(kept.get(i)).containsExactly(all.get(i));
                    assertThat(min).as("row %d kept", i).isGreaterThanOrEqualTo(tau);
                }
            }
            assertThat(rejected).as("the threshold must bite at all for this test to mean anything").isBetween(10, 190);
        }
    }

    /**
     * The smallest probability the model gave any token of {@code gen} (and the end token after it, when it fit),
     * from one full forward pass: an independent path from the generator's incremental one.
     */
    private static double minProbability(Gpt gpt, NDManager root, int[] prompt, int[] gen) {
        long[] seq = new long[prompt.length + gen.length];
        for (int i = 0; i < prompt.length; i++) seq[i] = prompt[i];
        for (int i = 0; i < gen.length; i++) seq[prompt.length + i] = gen[i];
        float[] probs;
        try (NDManager m = root.newSubManager()) {
            probs = gpt.forward(m.create(seq, new Shape(1, seq.length)), false).softmax(-1).toFloatArray();
        }
        int v = C.vocabSize();
        double min = 1;
        for (int j = 0; j < gen.length; j++) min = Math.min(min, probs[(prompt.length - 1 + j) * v + gen[j]]);
        if (gen.length < 6) min = Math.min(min, probs[(prompt.length - 1 + gen.length) * v + 1]); // the end token drawn
        return min;
    }

    @Test
    void nucleusSamplingPicksTheTokenASortOfTheWholeVocabularyWouldPick() {
        // peaked, flat and tied logits: the one-at-a-time nucleus and the full sort agree draw for draw
        java.util.SplittableRandom gen = new java.util.SplittableRandom(5);
        int vocab = 300;
        for (int trial = 0; trial < 300; trial++) {
            float[] logits = new float[vocab];
            double spread = trial % 3 == 0 ? 0.1 : trial % 3 == 1 ? 3 : 12;
            for (int v = 0; v < vocab; v++) logits[v] = (float) Math.round(gen.nextGaussian() * spread * 4) / 4f; // ties
            double temperature = trial % 2 == 0 ? 0.5 : 1.0;
            double topP = new double[] {0.3, 0.8, 0.95}[trial % 3];
            double max = Double.NEGATIVE_INFINITY;
            for (float l : logits) max = Math.max(max, l);
            double[] p = new double[vocab];
            double z = 0;
            for (int v = 0; v < vocab; v++) z += p[v] = Math.exp((logits[v] - max) / temperature);
            for (int d = 0; d < 5; d++) {
                long seed = gen.nextLong();
                int fast = TokenSampler.sample(logits, 0, vocab, new SamplingConfig(temperature, topP, 1), new java.util.SplittableRandom(seed));
                double u = new java.util.SplittableRandom(seed).nextDouble();
                assertThat(fast).as("trial %d draw %d", trial, d).isEqualTo(TokenSampler.sorted(p, z, u, topP, vocab));
            }
        }
    }
}
