package dev.owlet.controls;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Hashed count features of a number completion: whole numbers and adjacent number pairs, digits and digit pairs
 * within numbers, digits by position, the count of numbers and the separator. Values are log(1 + count).
 */
public final class NgramFeatures {
    private final int dim;

    public NgramFeatures(int bits) {
        this.dim = 1 << bits;
    }

    public int dim() { return dim; }

    public LogisticRegression.Sparse of(String completion) {
        Map<Integer, Integer> counts = new TreeMap<>();
        List<String> nums = Shuffles.numbers(completion);
        add(counts, "count:" + nums.size());
        add(counts, "skeleton-sep:" + Shuffles.skeleton(completion).replace("#", "").chars().distinct()
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append));
        for (int i = 0; i < nums.size(); i++) {
            String n = nums.get(i);
            add(counts, "n:" + n);
            if (i > 0) add(counts, "nn:" + nums.get(i - 1) + "_" + n);
            add(counts, "len:" + n.length());
            for (int k = 0; k < n.length(); k++) {
                add(counts, "d:" + n.charAt(k));
                add(counts, "dp:" + k + ":" + n.charAt(k));
                if (k > 0) add(counts, "dd:" + n.charAt(k - 1) + n.charAt(k));
            }
        }
        int[] idx = new int[counts.size()];
        float[] val = new float[counts.size()];
        int j = 0;
        for (var e : counts.entrySet()) {
            idx[j] = e.getKey();
            val[j++] = (float) Math.log1p(e.getValue());
        }
        return new LogisticRegression.Sparse(idx, val);
    }

    private void add(Map<Integer, Integer> counts, String feature) {
        counts.merge(Math.floorMod(feature.hashCode() * 0x9E3779B1, dim), 1, Integer::sum);
    }
}
