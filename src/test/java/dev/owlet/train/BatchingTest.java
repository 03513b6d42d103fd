package dev.owlet.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class BatchingTest {
    private static final int[] LENGTH = IntStream.range(0, 103).map(i -> 40 + (i * 37) % 61).toArray();

    private static List<Integer> shuffled(long seed) {
        List<Integer> order = new ArrayList<>(IntStream.range(0, LENGTH.length).boxed().toList());
        Collections.shuffle(order, new Random(seed));
        return order;
    }

    private static long padded(List<List<Integer>> batches) {
        long t = 0;
        for (List<Integer> b : batches) t += (long) b.size() * b.stream().mapToInt(i -> LENGTH[i]).max().orElse(0);
        return t;
    }

    @Test
    void shuffledBatchesAreConsecutiveSlicesAndDrawNothing() {
        Random rng = new Random(5);
        List<Integer> order = shuffled(1);
        List<List<Integer>> b = Batching.SHUFFLED.batches(order, 10, i -> LENGTH[i], rng);
        assertThat(b).hasSize(11);
        assertThat(b.get(0)).isEqualTo(order.subList(0, 10));
        assertThat(b.get(10)).isEqualTo(order.subList(100, 103));
        assertThat(rng.nextLong()).isEqualTo(new Random(5).nextLong()); // the old batches, bit for bit
    }

    @Test
    void byLengthKeepsEveryRowOnceCutsLessPaddingAndShufflesTheBatchOrder() {
        List<Integer> order = shuffled(1);
        List<List<Integer>> b = Batching.BY_LENGTH.batches(order, 10, i -> LENGTH[i], new Random(2));
        assertThat(b.stream().flatMap(List::stream).sorted().toList()).isEqualTo(order.stream().sorted().toList());
        assertThat(b.stream().mapToInt(List::size).sorted().toArray()).containsExactly(3, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10);
        long real = IntStream.of(LENGTH).sum();
        long byLength = padded(b);
        long plain = padded(Batching.SHUFFLED.batches(order, 10, i -> LENGTH[i], new Random(2)));
        assertThat(byLength - real).isLessThan((plain - real) / 4);
        // each batch spans a narrow range of lengths, and the batches do not come longest-first or shortest-first
        for (List<Integer> batch : b) {
            int lo = batch.stream().mapToInt(i -> LENGTH[i]).min().orElseThrow();
            int hi = batch.stream().mapToInt(i -> LENGTH[i]).max().orElseThrow();
            assertThat(hi - lo).isLessThanOrEqualTo(8);
        }
        List<Integer> firstLengths = b.stream().map(x -> LENGTH[x.get(0)]).toList();
        assertThat(firstLengths).isNotEqualTo(firstLengths.stream().sorted().toList());
        assertThat(firstLengths).isNotEqualTo(firstLengths.stream().sorted(Collections.reverseOrder()).toList());
        // the same stream gives the same batches; another shuffle of the rows gives others
        assertThat(Batching.BY_LENGTH.batches(order, 10, i -> LENGTH[i], new Random(2))).isEqualTo(b);
        assertThat(Batching.BY_LENGTH.batches(shuffled(3), 10, i -> LENGTH[i], new Random(2))).isNotEqualTo(b);
    }

    @Test
    void splitBatchesAreTheSameBatchesCutIntoPartsOfSimilarLength() {
        List<Integer> order = shuffled(4);
        Random a = new Random(9);
        Random b = new Random(9);
        List<List<Integer>> split = Batching.SHUFFLED_SPLIT.batches(order, 40, i -> LENGTH[i], a);
        assertThat(split).isEqualTo(Batching.SHUFFLED.batches(order, 40, i -> LENGTH[i], b));
        assertThat(a.nextLong()).isEqualTo(b.nextLong());
        List<List<Integer>> parts = Batching.SHUFFLED_SPLIT.parts(split.get(0), i -> LENGTH[i]);
        assertThat(parts.stream().map(List::size).toList()).containsExactly(14, 14, 12);
        assertThat(parts.stream().flatMap(List::stream).sorted().toList()).isEqualTo(split.get(0).stream().sorted().toList());
        for (int k = 1; k < parts.size(); k++) {
            int prevMax = parts.get(k - 1).stream().mapToInt(i -> LENGTH[i]).max().orElseThrow();
            int min = parts.get(k).stream().mapToInt(i -> LENGTH[i]).min().orElseThrow();
            assertThat(prevMax).isLessThanOrEqualTo(min);
        }
        assertThat(Batching.SHUFFLED.parts(split.get(0), i -> LENGTH[i])).containsExactly(split.get(0));
        assertThat(Batching.SHUFFLED_SPLIT.parts(order.subList(0, 16), i -> LENGTH[i])).containsExactly(order.subList(0, 16));
    }

    /**
     * A batch computed in parts takes the step the whole batch takes: same loss, same parameters after several
     * steps (up to float rounding), for cross-entropy and for soft labels (whose rows must follow their parts).
     */
    @Test
    void aStudentTrainedOnSplitBatchesEndsWhereTheWholeBatchesTakeIt() {
        dev.owlet.token.WordTokenizer tok = dev.owlet.pretrain.Pretrainer.worldTokenizer();
        List<dev.owlet.data.DataRow> rows = new ArrayList<>();
        Random r = new Random(3);
        for (int i = 0; i < 40; i++) {
            StringBuilder c = new StringBuilder();
            int n = 1 + r.nextInt(10);
            for (int k = 0; k < n; k++) c.append(k == 0 ? "" : ", ").append(r.nextInt(1000));
            rows.add(new dev.owlet.data.DataRow("Continue: " + r.nextInt(1000) + "," + r.nextInt(1000)
                    + ". Up to 10 numbers.", c.toString()));
        }
        dev.owlet.model.GptConfig c = new dev.owlet.model.GptConfig(tok.vocabSize(), 128, 2, 32, 4, 0);
        try (ai.djl.ndarray.NDManager root = ai.djl.ndarray.NDManager.newBaseManager();
             dev.owlet.model.Gpt base = dev.owlet.model.Gpt.initialize(c, 1, root);
             dev.owlet.model.Gpt teacher = dev.owlet.model.Gpt.initialize(c, 2, root)) {
            for (StudentLoss mode : StudentLoss.values()) {
                SoftLabels labels = mode == StudentLoss.SOFT ? LmDistillation.labels(new LmDistillation.SoftTeacher(teacher, null),
                        tok, rows, null, LmDistillation.alphabet(tok), c.contextLength()) : null;
                try (dev.owlet.model.Gpt whole = base.copy(); dev.owlet.model.Gpt split = base.copy()) {
                    double lw = LmDistillation.train(whole, tok, rows, null, mode, labels, 2, 32, 3e-3, 5, null,
                            TrainableParams.ALL, Optimizer.ADAM, Batching.SHUFFLED);
                    double ls = LmDistillation.train(split, tok, rows, null, mode, labels, 2, 32, 3e-3, 5, null,
                            TrainableParams.ALL, Optimizer.ADAM, Batching.SHUFFLED_SPLIT);
                    assertThat(ls).as(mode + " loss").isCloseTo(lw, org.assertj.core.data.Offset.offset(1e-5 * Math.abs(lw) + 1e-7));
                    double moved = 0;
                    double apart = 0;
                    for (String k : whole.parameters().keySet()) {
                        float[] w = whole.parameters().get(k).toFloatArray();
                        float[] s = split.parameters().get(k).toFloatArray();
                        float[] b0 = base.parameters().get(k).toFloatArray();
                        for (int i = 0; i < w.length; i++) {
                            moved = Math.max(moved, Math.abs(w[i] - b0[i]));
                            apart = Math.max(apart, Math.abs(w[i] - s[i]));
                        }
                    }
                    assertThat(moved).as(mode + " moved").isGreaterThan(1e-3);
                    assertThat(apart).as(mode + " split vs whole").isLessThan(moved * 1e-3);
                }
            }
        }
    }
}
