package dev.owlet.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import dev.owlet.model.Gpt;
import dev.owlet.model.SafeTensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A teacher's soft labels for one dataset: at every completion position of every row, its next-token distribution
 * over the channel's alphabet, renormalized. They depend only on the teacher and the rows, so they are computed
 * once (on the engine: one forward pass per batch of rows, a gather of the alphabet's logits, a softmax) and read
 * at every step of every epoch, by every student of that data (the same-init and the different-init one), instead
 * of running the teacher again at each step.
 *
 * @param alphabet the token ids the distributions are over (end token included)
 * @param rows per row, {@code positions x alphabet.length} probabilities, position {@code j} predicting completion
 *     token {@code j}; a row holds fewer positions than its completion when the context cut it
 */
public record SoftLabels(int[] alphabet, List<float[]> rows) {
    /** Rows per teacher forward pass when computing. */
    private static final int BATCH = 64;

    /**
     * Computes the labels of {@code teacher} for {@code examples}, each read in the teacher's own context
     * ({@code teacherPrompts}: the row's prompt as the teacher saw it, with its system prompt if it had one).
     *
     * @param studentContext the student's context length: positions the student never trains on are left out
     */
    public static SoftLabels compute(Gpt teacher, List<Example> examples, List<int[]> teacherPrompts, int[] alphabet,
                                     int padId, int studentContext) {
        return compute(teacher, examples, teacherPrompts, alphabet, padId, studentContext, 1.0);
    }

    /**
     * As above, at {@code temperature}: the labels are softmax(logits / temperature) over the alphabet. At the
     * writer's own sampling temperature they are the distribution its tokens were drawn from (before threshold
     * sampling drops whole completions); at 1, the distribution itself.
     */
    public static SoftLabels compute(Gpt teacher, List<Example> examples, List<int[]> teacherPrompts, int[] alphabet,
                                     int padId, int studentContext, double temperature) {
        if (!(temperature > 0)) throw new IllegalArgumentException("soft-label temperature must be positive, got " + temperature);
        long[] alphaIds = Arrays.stream(alphabet).asLongStream().toArray();
        int a = alphabet.length;
        int tctx = teacher.config().contextLength();
        // Rows of similar length share a forward pass (less padding); each row's labels do not depend on its batch.
        Integer[] byLength = new Integer[examples.size()];
        for (int i = 0; i < byLength.length; i++) byLength[i] = i;
        Arrays.sort(byLength, java.util.Comparator.comparingInt(i -> teacherPrompts.get(i).length
                + examples.get(i).completion().length));
        float[][] out = new float[examples.size()][];
        for (int s = 0; s < examples.size(); s += BATCH) {
            List<Example> tex = new ArrayList<>();
            List<Integer> rowsOf = new ArrayList<>();
            for (int k = s; k < Math.min(examples.size(), s + BATCH); k++) {
                int i = byLength[k];
                rowsOf.add(i);
                tex.add(new Example(teacherPrompts.get(i), examples.get(i).completion()));
            }
            TokenBatch tb = TokenBatch.of(tex, padId, tctx);
            float[] probs;
            try (NDScope scope = new NDScope(); NDManager m = teacher.manager().getParentManager().newSubManager()) {
                NDArray idx = m.create(alphaIds).reshape(1, 1, a).broadcast(new Shape(tb.batch(), tb.time(), a)); // (B, T, A)
                NDArray logits = teacher.forward(tb.inputs(m), false).gather(idx, -1);                           // (B, T, A)
                if (temperature != 1.0) logits = logits.div(m.create((float) temperature));   // no gradient here
                probs = logits.softmax(-1).toFloatArray();                                                    // (B, T, A)
            }
            for (int r = 0; r < tex.size(); r++) {
                Example student = examples.get(rowsOf.get(r));
                int pt = tex.get(r).prompt().length;
                // positions the student trains on (its batch keeps min(ctx, length) - 1 inputs) and the teacher saw
                int n = Math.min(student.completion().length, Math.min(studentContext, student.length()) - student.prompt().length);
                n = Math.max(0, Math.min(n, Math.min(tb.time(), Math.min(tctx, tex.get(r).length()) - 1) - (pt - 1)));
                float[] row = new float[n * a];
                System.arraycopy(probs, (r * tb.time() + pt - 1) * a, row, 0, n * a);
                out[rowsOf.get(r)] = row;
            }
        }
        return new SoftLabels(alphabet.clone(), List.of(out));
    }

    /**
     * The labels of a batch laid out as the student's {@link TokenBatch}: (B, T, A), zero where the student has no
     * label (prompt, padding, or a position the teacher's context did not reach).
     *
     * @param idx the rows of this batch, in batch order
     * @param students the student's examples (for where each completion starts)
     */
    public float[] batch(List<Integer> idx, List<Example> students, TokenBatch sb) {
        int a = alphabet.length;
        float[] out = new float[sb.batch() * sb.time() * a];
        for (int b = 0; b < idx.size(); b++) {
            float[] row = rows.get(idx.get(b));
            int start = students.get(idx.get(b)).prompt().length - 1;
            int n = Math.min(row.length / a, sb.time() - start);
            if (n > 0) System.arraycopy(row, 0, out, (b * sb.time() + start) * a, n * a);
        }
        return out;
    }

    /** Writes the labels as a safetensors file ({@code probs}: all positions x A; {@code positions}: per row). */
    public void write(Path file) throws IOException {
        int a = alphabet.length;
        int total = 0;
        for (float[] r : rows) total += r.length;
        float[] all = new float[total];
        float[] counts = new float[rows.size()];
        float[] alpha = new float[a];
        int off = 0;
        for (int i = 0; i < rows.size(); i++) {
            float[] r = rows.get(i);
            System.arraycopy(r, 0, all, off, r.length);
            off += r.length;
            counts[i] = r.length / a; // exact in float up to 2^24 positions per row
        }
        for (int k = 0; k < a; k++) alpha[k] = alphabet[k];
        Map<String, SafeTensors.Tensor> t = new LinkedHashMap<>();
        t.put("alphabet", new SafeTensors.Tensor(new long[] {a}, alpha));
        t.put("positions", new SafeTensors.Tensor(new long[] {rows.size()}, counts));
        t.put("probs", new SafeTensors.Tensor(new long[] {total / a, a}, all));
        // a temporary file of its own: two processes of a scaled-out run may write the same labels at once
        dev.owlet.provenance.AtomicFiles.writeBytes(file, SafeTensors.encode(t, Map.of("format", "owlet soft labels")));
    }

    /** Reads what {@link #write} wrote. */
    public static SoftLabels read(Path file) throws IOException {
        Map<String, SafeTensors.Tensor> t = SafeTensors.read(file);
        float[] alpha = t.get("alphabet").data();
        float[] counts = t.get("positions").data();
        float[] all = t.get("probs").data();
        int a = alpha.length;
        int[] alphabet = new int[a];
        for (int k = 0; k < a; k++) alphabet[k] = (int) alpha[k];
        List<float[]> rows = new ArrayList<>(counts.length);
        int off = 0;
        for (float c : counts) {
            int len = (int) c * a;
            rows.add(Arrays.copyOfRange(all, off, off + len));
            off += len;
        }
        if (off != all.length) throw new IOException(file + ": positions do not add up to the stored probabilities");
        return new SoftLabels(alphabet, List.copyOf(rows));
    }
}
