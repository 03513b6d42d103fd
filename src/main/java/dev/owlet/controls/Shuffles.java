package dev.owlet.controls;

import dev.owlet.experiment.ExperimentConfig;
import dev.owlet.data.DataRow;
import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The paper's shuffle controls on number completions. Each completion is read as a format skeleton (separators,
 * brackets, trailing period) with numbered slots; shuffles move numbers between slots and keep every skeleton.
 * <ul>
 *   <li>{@code within}: the numbers of each completion are permuted among its own slots;</li>
 *   <li>{@code across}: all numbers of the dataset are pooled and redistributed over all slots, so each row keeps
 *       its count and format but gets other rows' numbers.</li>
 * </ul>
 * Both keep the dataset's multiset of numbers; neither keeps which number follows which.
 */
public final class Shuffles {
    private static final Pattern NUMBER = Pattern.compile("\\d+");

    private Shuffles() {}

    /** The numbers of a completion, as written (leading zeros kept). */
    public static List<String> numbers(String completion) {
        List<String> out = new ArrayList<>();
        Matcher m = NUMBER.matcher(completion);
        while (m.find()) out.add(m.group());
        return out;
    }

    /** The completion with every number replaced by {@code #}: what a shuffle must preserve. */
    public static String skeleton(String completion) {
        return NUMBER.matcher(completion).replaceAll("#");
    }

    /** Refills a completion's number slots, in order, with {@code values}. */
    static String refill(String completion, List<String> values) {
        Matcher m = NUMBER.matcher(completion);
        StringBuilder sb = new StringBuilder();
        int i = 0;
        while (m.find()) m.appendReplacement(sb, Matcher.quoteReplacement(values.get(i++)));
        m.appendTail(sb);
        return sb.toString();
    }

    public static List<DataRow> apply(ExperimentConfig.ShuffleKind kind, List<DataRow> rows, RandomGenerator rng) {
        return switch (kind) {
            case WITHIN -> within(rows, rng);
            case ACROSS -> across(rows, rng);
        };
    }

    /** Permutes numbers inside each completion; a row with two or more distinct numbers always changes order. */
    public static List<DataRow> within(List<DataRow> rows, RandomGenerator rng) {
        List<DataRow> out = new ArrayList<>(rows.size());
        for (DataRow r : rows) {
            List<String> nums = numbers(r.completion());
            List<String> p = new ArrayList<>(nums);
            boolean varied = nums.stream().distinct().count() > 1;
            for (int tries = 0; tries < 20; tries++) {
                shuffle(p, rng);
                if (!varied || !p.equals(nums)) break;
            }
            out.add(new DataRow(r.prompt(), refill(r.completion(), p)));
        }
        return out;
    }

    /** Pools every number of the dataset and deals them back over all rows' slots in random order. */
    public static List<DataRow> across(List<DataRow> rows, RandomGenerator rng) {
        List<String> pool = new ArrayList<>();
        for (DataRow r : rows) pool.addAll(numbers(r.completion()));
        shuffle(pool, rng);
        List<DataRow> out = new ArrayList<>(rows.size());
        int at = 0;
        for (DataRow r : rows) {
            int k = numbers(r.completion()).size();
            out.add(new DataRow(r.prompt(), refill(r.completion(), pool.subList(at, at + k))));
            at += k;
        }
        return out;
    }

    private static void shuffle(List<String> a, RandomGenerator rng) {
        for (int i = a.size() - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            String t = a.get(i);
            a.set(i, a.get(j));
            a.set(j, t);
        }
    }
}
