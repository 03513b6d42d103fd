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
}
