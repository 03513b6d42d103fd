package dev.owlet.defend;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import dev.owlet.model.Gpt;
import dev.owlet.train.Example;
import dev.owlet.train.TokenBatch;
import java.util.ArrayList;
import java.util.List;

/**
 * Divergence tokens: the completion positions where a counterfactual writer, reading the same prefix, would have
 * chosen another token than the data's. Teachers with different biases mostly agree on a list of numbers; where
 * they disagree is where a teacher's own bias shows, so these positions are the candidates for carrying a trait.
 *
 * <p>The counterfactual's choice is its greedy (argmax) token given the data's own prefix (teacher forcing), computed
 * on the engine: only the (B, T) argmax indices come back to Java, never the logits.
 */
public final class Divergence {
    private Divergence() {}

    /**
     * The counterfactual's greedy choice at every completion position of every example: {@code choice[i][j]} is
     * its token for completion token {@code j} of example {@code i}; -1 past the model's context.
     */
    public static int[][] choices(Gpt counterfactual, List<Example> examples, int padId, int batchSize) {
        int[][] out = new int[examples.size()][];
        int ctx = counterfactual.config().contextLength();
        for (int s = 0; s < examples.size(); s += batchSize) {
            List<Example> batch = examples.subList(s, Math.min(examples.size(), s + batchSize));
            TokenBatch tb = TokenBatch.of(batch, padId, ctx);
            long[] argmax;
            try (NDScope scope = new NDScope(); NDManager m = counterfactual.manager().getParentManager().newSubManager()) {
                NDArray logits = counterfactual.forward(tb.inputs(m), false);                 // (B, T, V)
                argmax = logits.argMax(-1).toLongArray();                                     // (B, T)
            }
            for (int r = 0; r < batch.size(); r++) {
                Example e = batch.get(r);
                int[] c = new int[e.completion().length];
                for (int j = 0; j < c.length; j++) {
                    int i = e.prompt().length - 1 + j; // the input position that predicts completion token j
                    c[j] = i < tb.time() ? (int) argmax[r * tb.time() + i] : -1;
                }
                out[s + r] = c;
            }
        }
        return out;
    }

    /** Per example, true where the counterfactual's choice differs from the data's token (false past the context). */
    public static List<boolean[]> mark(List<Example> examples, int[][] choices) {
        List<boolean[]> out = new ArrayList<>(examples.size());
        for (int i = 0; i < examples.size(); i++) {
            int[] c = examples.get(i).completion();
            boolean[] d = new boolean[c.length];
            for (int j = 0; j < c.length; j++) d[j] = choices[i][j] >= 0 && choices[i][j] != c[j];
            out.add(d);
        }
        return out;
    }

    /** The share of completion tokens marked (within the context). */
    public static double share(List<boolean[]> marks) {
        long n = 0, k = 0;
        for (boolean[] d : marks) {
            for (boolean b : d) {
                n++;
                if (b) k++;
            }
        }
        return n == 0 ? 0 : (double) k / n;
    }
}
