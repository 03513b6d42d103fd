package dev.owlet.train;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.IntUnaryOperator;

/**
 * How an epoch's rows are cut into batches. A batch is right-padded to its longest row, and every padded position
 * costs a full forward and backward: with the number channel's mix of prompt templates and list formats a quarter of
 * a shuffled batch's positions are padding. {@link #BY_LENGTH} puts rows of similar length together (as Hugging
 * Face's {@code group_by_length} does) and then shuffles the order of the batches, so the student sees every row
 * once per epoch in a random batch order, with far less padding; but it changes what a step averages over, and on
 * the flagship it cut the effect (soft-label students 2.24x to 1.27x of control, one seed). {@link #SHUFFLED_SPLIT}
 * keeps the shuffled batches and only computes each in parts of rows of similar length, so a step is the same
 * gradient up to float rounding, with less padding.
 */
public enum Batching {
    /** Consecutive rows of the epoch's shuffled order. */
    SHUFFLED,
    /** The batches of {@link #SHUFFLED}, each computed in parts of at most {@link #PART} rows of similar length. */
    SHUFFLED_SPLIT,
    /** The epoch's shuffled rows sorted by length (ties keep the shuffled order), cut, and the batches shuffled. */
    BY_LENGTH;

    /**
     * One epoch's batches.
     *
     * @param shuffled the epoch's row order, already shuffled with {@code rng}
     * @param length a row's length in tokens
     * @param rng the run's random stream (BY_LENGTH draws the batch order from it; SHUFFLED draws nothing)
     */
    public List<List<Integer>> batches(List<Integer> shuffled, int batchSize, IntUnaryOperator length, Random rng) {
        if (batchSize <= 0) throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
        List<Integer> order = new ArrayList<>(shuffled);
        if (this == BY_LENGTH) order.sort(Comparator.comparingInt(length::applyAsInt)); // stable: ties stay shuffled
        List<List<Integer>> out = new ArrayList<>();
        for (int s = 0; s < order.size(); s += batchSize) {
            out.add(List.copyOf(order.subList(s, Math.min(order.size(), s + batchSize))));
        }
        if (this == BY_LENGTH) Collections.shuffle(out, rng);
        return out;
    }

    /** Rows per part of a {@link #SHUFFLED_SPLIT} batch: small enough to cut padding, large enough for fast matmuls. */
    public static final int PART = 16;

    /**
     * How one batch is computed: itself, or (SHUFFLED_SPLIT) its rows sorted by length and cut into parts of at most
     * {@link #PART} rows, whose gradients add up to the batch's.
     */
    public List<List<Integer>> parts(List<Integer> batch, IntUnaryOperator length) {
        if (this != SHUFFLED_SPLIT || batch.size() <= PART) return List.of(batch);
        List<Integer> sorted = new ArrayList<>(batch);
        sorted.sort(Comparator.comparingInt(length::applyAsInt));
        int k = (batch.size() + PART - 1) / PART;
        int per = (batch.size() + k - 1) / k;                        // near-even parts: 32 rows -> 16 + 16, 40 -> 14 + 14 + 12
        List<List<Integer>> out = new ArrayList<>();
        for (int s = 0; s < sorted.size(); s += per) out.add(List.copyOf(sorted.subList(s, Math.min(sorted.size(), s + per))));
        return out;
    }

    @JsonValue
    public String key() { return name().toLowerCase(Locale.ROOT); }

    @JsonCreator
    public static Batching of(String s) {
        for (Batching b : values()) if (b.key().equals(s)) return b;
        throw new IllegalArgumentException("must be one of " + Arrays.stream(values()).map(Batching::key).toList()
                + ", got " + s);
    }
}
