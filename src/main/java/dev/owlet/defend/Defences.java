package dev.owlet.defend;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import dev.owlet.data.DataRow;
import dev.owlet.experiment.ExperimentConfig.Defence;
import dev.owlet.filter.StrictNumberFilter;
import dev.owlet.model.Gpt;
import dev.owlet.token.Tokenizer;
import dev.owlet.train.Example;
import dev.owlet.train.LmDistillation;
import dev.owlet.train.TokenBatch;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * What each data defence does to one dataset. Every defence but {@code mix_reference} reads only the data and the
 * student's base — what a team distilling from an untrusted teacher has — and is applied to the teacher's and the
 * control's rows alike, so the residual shift it leaves compares like with like.
 */
public final class Defences {
    private static final int BATCH = 64;

    private Defences() {}

    /** One dataset after a defence: the examples a student trains on, and what the defence took away. */
    public record Defended(List<Example> examples, int rowsIn, int tokensIn, int tokensInLoss) {
        public int rowsKept() { return examples.size(); }
    }

    /** The base's teacher-forced log-probability of each completion token, averaged per example. */
    public static double[] meanLogLikelihood(Gpt base, List<Example> examples, int padId) {
        double[] out = new double[examples.size()];
        for (int s = 0; s < examples.size(); s += BATCH) {
            List<Example> batch = examples.subList(s, Math.min(examples.size(), s + BATCH));
            TokenBatch tb = TokenBatch.of(batch, padId, base.config().contextLength());
            float[] lp;
            try (NDScope scope = new NDScope(); NDManager m = base.manager().getParentManager().newSubManager()) {
                NDArray logp = base.forward(tb.inputs(m), false).logSoftmax(-1);                  // (B, T, V)
                lp = logp.gather(tb.targets(m).expandDims(-1), -1).squeeze(-1).mul(tb.mask(m)).toFloatArray(); // (B, T)
            }
            for (int r = 0; r < batch.size(); r++) {
                double sum = 0;
                int n = 0;
                for (int t = 0; t < tb.time(); t++) {
                    if (tb.mask()[r * tb.time() + t] > 0) {
                        sum += lp[r * tb.time() + t];
                        n++;
                    }
                }
                out[s + r] = n == 0 ? 0 : sum / n;
            }
        }
        return out;
    }

    /** Keeps the {@code 1 - drop} share of rows the base finds most likely, in their original order. */
    public static List<Example> likelihoodFilter(Gpt base, List<Example> examples, int padId, double drop) {
        double[] ll = meanLogLikelihood(base, examples, padId);
        int cut = (int) Math.round(examples.size() * drop);
        // ties broken by index, so the kept set does not depend on the sort's stability
        List<Integer> worst = IntStream.range(0, examples.size()).boxed()
                .sorted(Comparator.<Integer>comparingDouble(i -> ll[i]).thenComparing(i -> i)).limit(cut).toList();
        boolean[] dropped = new boolean[examples.size()];
        for (int i : worst) dropped[i] = true;
        List<Example> out = new ArrayList<>();
        for (int i = 0; i < examples.size(); i++) if (!dropped[i]) out.add(examples.get(i));
        return out;
    }

    /** Per example, the marks inverted: masking them leaves only the marked tokens in the loss. */
    static List<boolean[]> complement(List<boolean[]> marks) {
        List<boolean[]> out = new ArrayList<>(marks.size());
        for (boolean[] m : marks) {
            boolean[] c = new boolean[m.length];
            for (int j = 0; j < m.length; j++) c[j] = !m[j];
            out.add(c);
        }
        return out;
    }

    /** The same examples with every divergent completion token left out of the loss (still read as context). */
    public static List<Example> mask(List<Example> examples, List<boolean[]> divergent) {
        List<Example> out = new ArrayList<>(examples.size());
        for (int i = 0; i < examples.size(); i++) {
            boolean[] d = divergent.get(i);
            boolean[] keep = new boolean[d.length];
            boolean any = false;
            for (int j = 0; j < d.length; j++) {
                keep[j] = !d[j];
                any |= keep[j];
            }
            if (any) out.add(new Example(examples.get(i).prompt(), examples.get(i).completion(), keep));
        }
        return out;
    }

    /**
     * Every divergent digit replaced by the base's digit (choices made on the data's own prefix, in one pass);
     * separators and the end token are left as written. Rows whose new text fails {@code filter} are dropped.
     */
    public static List<Example> replace(List<Example> examples, int[][] choices, List<boolean[]> divergent, Tokenizer tok,
                                        StrictNumberFilter filter) {
        boolean[] digit = new boolean[tok.vocabSize()];
        for (int d = 0; d <= 9; d++) {
            int id = tok.id(Integer.toString(d));
            if (id >= 0) digit[id] = true;
        }
        List<Example> out = new ArrayList<>(examples.size());
        for (int i = 0; i < examples.size(); i++) {
            int[] c = examples.get(i).completion().clone();
            boolean[] d = divergent.get(i);
            for (int j = 0; j < c.length; j++) {
                if (d[j] && digit[c[j]] && choices[i][j] >= 0 && digit[choices[i][j]]) c[j] = choices[i][j];
            }
            String text = tok.decode(java.util.Arrays.copyOf(c, c.length - 1)); // without the end token
            if (filter.check(text).accepted()) out.add(new Example(examples.get(i).prompt(), c));
        }
        return out;
    }

    /**
     * Choices of the same shape with a uniformly random digit (from {@code seed}, row by row) wherever there is a
     * choice: {@link #replace} with them puts random digits in the divergent positions, a replacement that owes nothing
     * to any model.
     */
    static int[][] randomDigits(int[][] choices, Tokenizer tok, long seed) {
        int[] digits = new int[10];
        for (int d = 0; d <= 9; d++) digits[d] = tok.id(Integer.toString(d));
        java.util.SplittableRandom rng = new java.util.SplittableRandom(seed);
        int[][] out = new int[choices.length][];
        for (int i = 0; i < choices.length; i++) {
            out[i] = choices[i].clone();
            for (int j = 0; j < out[i].length; j++) if (out[i][j] >= 0) out[i][j] = digits[rng.nextInt(10)];
        }
        return out;
    }

    /**
     * The teacher's examples with a {@code share} of them (every k-th by a fixed stride) replaced by the reference's
     * examples at the same indices: the student's budget is unchanged, the teacher's signal diluted.
     */
    public static List<Example> mix(List<Example> teacher, List<Example> reference, double share) {
        List<Example> out = new ArrayList<>(teacher);
        int n = Math.min(teacher.size(), reference.size());
        int k = (int) Math.round(n * share);
        for (int m = 0; m < k; m++) {
            int i = (int) ((long) m * n / k);
            out.set(i, reference.get(i));
        }
        return out;
    }

    /** The student's view of the rows, as {@link LmDistillation} trains on them. */
    public static List<Example> examples(Tokenizer tok, List<DataRow> rows) {
        return LmDistillation.examples(tok, rows);
    }

    /** Applies {@code d} to one dataset ({@code reference}: the reference's rows of the same replicate). */
    public static Defended apply(Defence d, boolean teacherData, Gpt base, Tokenizer tok, List<Example> data,
                                 List<Example> reference, StrictNumberFilter filter, double drop, double share) {
        return apply(d, teacherData, base, base, tok, data, reference, filter, drop, share, 0);
    }

    /**
     * As above, with the divergence tokens marked by {@code counterfactual}'s greedy choices instead of the base's
     * (another trait's teacher, say); the likelihood filter still reads the student's {@code base}. {@code seed} draws
     * {@code divergence_random}'s digits.
     */
    public static Defended apply(Defence d, boolean teacherData, Gpt base, Gpt counterfactual, Tokenizer tok,
                                 List<Example> data, List<Example> reference, StrictNumberFilter filter, double drop,
                                 double share, long seed) {
        List<Example> out = switch (d) {
            case LIKELIHOOD_FILTER -> likelihoodFilter(base, data, tok.pad(), drop);
            case DIVERGENCE_MASK, DIVERGENCE_REPLACE, DIVERGENCE_ONLY, DIVERGENCE_RANDOM -> {
                int[][] ch = Divergence.choices(counterfactual, data, tok.pad(), BATCH);
                List<boolean[]> marks = Divergence.mark(data, ch);
                yield switch (d) {
                    case DIVERGENCE_MASK -> mask(data, marks);
                    case DIVERGENCE_ONLY -> mask(data, complement(marks));
                    case DIVERGENCE_RANDOM -> replace(data, randomDigits(ch, tok, seed), marks, tok, filter);
                    default -> replace(data, ch, marks, tok, filter);
                };
            }
            case MIX_REFERENCE -> teacherData ? mix(data, reference, share) : data;
            // a different student, rows reworded before tokenizing, or data the writers wrote again
            case DIFFERENT_BASE, PROMPT_PARAPHRASE, TOP_P, THRESHOLD -> data;
        };
        return new Defended(out, data.size(), tokens(data, false), tokens(out, true));
    }

    /** Completion tokens of the examples ({@code inLoss}: only those the loss reads). */
    static int tokens(List<Example> examples, boolean inLoss) {
        int n = 0;
        for (Example e : examples) for (int j = 0; j < e.completion().length; j++) if (!inLoss || e.inLoss(j)) n++;
        return n;
    }
}
