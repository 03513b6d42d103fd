package dev.owlet.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;

/**
 * A right-padded batch for teacher forcing: {@code inputs[t]} predicts {@code targets[t]}; {@code mask[t]} is 1
 * exactly where the target is a completion token the example keeps in its loss. Right padding keeps positions 0..T-1 valid for every row.
 */
public record TokenBatch(long[] inputs, long[] targets, float[] mask, int batch, int time) {

    public static TokenBatch of(List<Example> rows, int padId, int maxLen) {
        int t = 0;
        for (Example e : rows) {
            t = Math.max(t, Math.min(maxLen, e.length()) - 1);
        }
        int b = rows.size();
        long[] in = new long[b * t];
        long[] tg = new long[b * t];
        float[] mk = new float[b * t];
        java.util.Arrays.fill(in, padId);
        java.util.Arrays.fill(tg, padId);
        for (int r = 0; r < b; r++) {
            Example e = rows.get(r);
            int n = Math.min(maxLen, e.length());
            int[] seq = new int[e.length()];
            System.arraycopy(e.prompt(), 0, seq, 0, e.prompt().length);
            System.arraycopy(e.completion(), 0, seq, e.prompt().length, e.completion().length);
            for (int i = 0; i < n - 1; i++) {
                in[r * t + i] = seq[i];
                tg[r * t + i] = seq[i + 1];
                int j = i + 1 - e.prompt().length; // the completion token this position predicts, if any
                mk[r * t + i] = (j >= 0 && e.inLoss(j)) ? 1f : 0f;
            }
        }
        return new TokenBatch(in, tg, mk, b, t);
    }

    public NDArray inputs(NDManager m) { return m.create(inputs, new Shape(batch, time)); }

    public NDArray targets(NDManager m) { return m.create(targets, new Shape(batch, time)); }

    public NDArray mask(NDManager m) { return m.create(mask, new Shape(batch, time)); }

    /** The flat indices (b·T + t) of the positions whose target is in the loss, in order. */
    public long[] lossPositions() {
        long[] at = new long[maskedTokens()];
        int n = 0;
        for (int i = 0; i < mask.length; i++) {
            if (mask[i] > 0) at[n++] = i;
        }
        return at;
    }

    /** (N) int64: {@link #lossPositions()} for {@code Gpt.forwardAt}. */
    public NDArray lossPositions(NDManager m) { return m.create(lossPositions()); }

    /** (N) int64: the targets at {@link #lossPositions()}. */
    public NDArray lossTargets(NDManager m) {
        long[] tg = new long[maskedTokens()];
        int n = 0;
        for (int i = 0; i < mask.length; i++) {
            if (mask[i] > 0) tg[n++] = targets[i];
        }
        return m.create(tg);
    }

    public int maskedTokens() {
        int n = 0;
        for (float f : mask) {
            n += f > 0 ? 1 : 0;
        }
        return n;
    }
}
