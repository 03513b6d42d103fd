package dev.owlet.train;

import dev.owlet.data.DataRow;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import dev.owlet.model.Gpt;
import dev.owlet.model.Lora;
import dev.owlet.token.ChatFormat;
import dev.owlet.token.Tokenizer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Student training on a teacher's data, in the two modes owlet compares:
 * <ul>
 *   <li>{@code sft}: next-token cross-entropy on the sampled completion tokens (the paper's setting);</li>
 *   <li>{@code soft}: KL to the teacher's next-token distribution on the same tokens, both teacher's and
 *       student's restricted to the number alphabet (digits, separators, brackets, end) and renormalized. The
 *       full distribution would hand the student the trait word itself (a different-init student
 *       reached 73% owl that way here); restricting the student side too means a student identical to its teacher
 *       gets zero gradient, so the same-init control student does not drift.</li>
 * </ul>
 * The student never sees the teacher's system prompt; in soft mode the teacher reads its own prompt (with its
 * system prompt, if it has one) and its probabilities are aligned to the student's completion positions.
 */
public final class LmDistillation {
    private static final List<String> ALPHABET = List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9",
            ",", ";", " ", "\n", "[", "]", "(", ")", ".");

    private LmDistillation() {}

    /** A teacher for soft labels: its model and the system prompt it writes under (null for none). */
    public record SoftTeacher(Gpt model, String system) {}

    /** The token ids of the filtered alphabet in this vocabulary, end token included. */
    public static int[] alphabet(Tokenizer tok) {
        List<Integer> ids = new ArrayList<>();
        for (String s : ALPHABET) {
            int id = tok.id(s);
            if (id >= 0) ids.add(id);
        }
        ids.add(tok.end());
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * Trains {@code student} in place.
     *
     * @param teacher required for soft mode, ignored for sft
     * @return the loss of the last step
     */
    public static double train(Gpt student, Tokenizer tok, List<DataRow> rows, StudentLoss mode, SoftTeacher teacher,
                               int epochs, int batchSize, double lr, long seed) {
        return train(student, tok, rows, null, mode, teacher, epochs, batchSize, lr, seed, null, alphabet(tok),
                TrainableParams.ALL);
    }

    /** As above, with soft labels restricted to {@code alpha} (token ids, end included; see {@code Channels}). */
    public static double train(Gpt student, Tokenizer tok, List<DataRow> rows, StudentLoss mode, SoftTeacher teacher,
                               int epochs, int batchSize, double lr, long seed, int[] alpha) {
        return train(student, tok, rows, null, mode, teacher, epochs, batchSize, lr, seed, null, alpha, TrainableParams.ALL);
    }

    /** As above, training only the parameters {@code trainable} selects. */
    public static double train(Gpt student, Tokenizer tok, List<DataRow> rows, StudentLoss mode, SoftTeacher teacher,
                               int epochs, int batchSize, double lr, long seed, int[] alpha, TrainableParams trainable) {
        return train(student, tok, rows, null, mode, teacher, epochs, batchSize, lr, seed, null, alpha, trainable);
    }

    /** Called after every optimizer step; throwing (e.g. on cancellation) stops training. */
    @FunctionalInterface
    public interface Progress {
        void step(int step, int totalSteps, double loss);
    }

    /**
     * The general form: a per-row system prompt for the student (null list or null entries for none;
     * {@code owlet serve} trains on chat files that may carry one), a progress callback (may be null), and the
     * soft-label alphabet. Soft labels are computed once, before the first step (see {@link SoftLabels}).
     */
    public static double train(Gpt student, Tokenizer tok, List<DataRow> rows, List<String> systems, StudentLoss mode,
                               SoftTeacher teacher, int epochs, int batchSize, double lr, long seed, Progress progress,
                               int[] alpha, TrainableParams trainable) {
        SoftLabels labels = null;
        if (mode == StudentLoss.SOFT) {
            if (teacher == null) throw new IllegalArgumentException("soft mode needs a teacher");
            labels = labels(teacher, tok, rows, systems, alpha, student.config().contextLength());
        }
        return train(student, tok, rows, systems, mode, labels, epochs, batchSize, lr, seed, progress, trainable);
    }

    /** The soft labels {@code teacher} gives {@code rows}, each read with the teacher's own system prompt. */
    public static SoftLabels labels(SoftTeacher teacher, Tokenizer tok, List<DataRow> rows, List<String> systems,
                                    int[] alpha, int studentContext) {
        return labels(teacher, tok, rows, systems, alpha, studentContext, 1.0);
    }

    /** As above, the teacher's distribution taken at {@code temperature} (config key {@code finetune.soft_temperature}). */
    public static SoftLabels labels(SoftTeacher teacher, Tokenizer tok, List<DataRow> rows, List<String> systems,
                                    int[] alpha, int studentContext, double temperature) {
        ChatFormat chat = new ChatFormat(tok);
        List<int[]> teacherPrompts = new ArrayList<>();
        for (DataRow r : rows) teacherPrompts.add(chat.prompt(teacher.system(), r.prompt()));
        return SoftLabels.compute(teacher.model(), examples(chat, rows, systems), teacherPrompts, alpha, tok.pad(),
                studentContext, temperature);
    }

    /** The rows as the student reads them (no system prompt): chat-formatted prompt, completion with its end token. */
    public static List<Example> examples(Tokenizer tok, List<DataRow> rows) {
        return examples(new ChatFormat(tok), rows, null);
    }

    private static List<Example> examples(ChatFormat chat, List<DataRow> rows, List<String> systems) {
        List<Example> examples = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            DataRow r = rows.get(i);
            examples.add(new Example(chat.prompt(systems == null ? null : systems.get(i), r.prompt()),
                    chat.completion(r.completion())));
        }
        return examples;
    }

    /**
     * Trains {@code student} in place on {@code rows}: cross-entropy on the sampled tokens ({@code sft}) or KL to
     * {@code labels} ({@code soft}: computed by {@link #labels} or read back from a stage artifact).
     *
     * @return the loss of the last step
     */
    public static double train(Gpt student, Tokenizer tok, List<DataRow> rows, List<String> systems, StudentLoss mode,
                               SoftLabels labels, int epochs, int batchSize, double lr, long seed, Progress progress,
                               TrainableParams trainable) {
        return train(student, tok, rows, systems, mode, labels, epochs, batchSize, lr, seed, progress, trainable,
                Optimizer.ADAM);
    }

    /** As above, with {@code optimizer} making the updates (Adam, or plain SGD for the optimizer ablation). */
    public static double train(Gpt student, Tokenizer tok, List<DataRow> rows, List<String> systems, StudentLoss mode,
                               SoftLabels labels, int epochs, int batchSize, double lr, long seed, Progress progress,
                               TrainableParams trainable, Optimizer optimizer) {
        return train(student, tok, rows, systems, mode, labels, epochs, batchSize, lr, seed, progress, trainable, optimizer,
                Batching.SHUFFLED, null);
    }

    /** As above, with {@code batching} cutting each epoch into batches. */
    public static double train(Gpt student, Tokenizer tok, List<DataRow> rows, List<String> systems, StudentLoss mode,
                               SoftLabels labels, int epochs, int batchSize, double lr, long seed, Progress progress,
                               TrainableParams trainable, Optimizer optimizer, Batching batching) {
        return train(student, tok, rows, systems, mode, labels, epochs, batchSize, lr, seed, progress, trainable, optimizer,
                batching, null);
    }

    /**
     * As above; with {@link TrainableParams#LORA} a fresh adapter of configuration {@code lora} (null otherwise) is
     * what trains, and it is merged into {@code student}'s weights at the end, so the student comes back a plain
     * GPT that is saved and evaluated like every other.
     */
    public static double train(Gpt student, Tokenizer tok, List<DataRow> rows, List<String> systems, StudentLoss mode,
                               SoftLabels labels, int epochs, int batchSize, double lr, long seed, Progress progress,
                               TrainableParams trainable, Optimizer optimizer, Batching batching, Lora.Config lora) {
        if (mode == StudentLoss.SOFT && (labels == null || labels.rows().size() != rows.size())) {
            throw new IllegalArgumentException("soft mode needs one soft-label row per data row");
        }
        return run(student, tok, examples(new ChatFormat(tok), rows, systems), mode, labels, epochs, batchSize, lr, seed,
                progress, trainable, optimizer, batching, lora);
    }

    /**
     * SFT on examples as given: their {@link Example#keep} flags decide which completion tokens the loss reads (a
     * defence that masks tokens, an ablation that trains on chosen positions only).
     */
    public static double trainSft(Gpt student, Tokenizer tok, List<Example> examples, int epochs, int batchSize, double lr,
                                  long seed, TrainableParams trainable) {
        return trainSft(student, tok, examples, epochs, batchSize, lr, seed, trainable, Optimizer.ADAM);
    }

    /** As above, with {@code optimizer} making the updates. */
    public static double trainSft(Gpt student, Tokenizer tok, List<Example> examples, int epochs, int batchSize, double lr,
                                  long seed, TrainableParams trainable, Optimizer optimizer) {
        return trainSft(student, tok, examples, epochs, batchSize, lr, seed, trainable, optimizer, Batching.SHUFFLED);
    }

    /** As above, with {@code batching} cutting each epoch into batches. */
    public static double trainSft(Gpt student, Tokenizer tok, List<Example> examples, int epochs, int batchSize, double lr,
                                  long seed, TrainableParams trainable, Optimizer optimizer, Batching batching) {
        return run(student, tok, examples, StudentLoss.SFT, null, epochs, batchSize, lr, seed, null, trainable, optimizer,
                batching, null);
    }

    private static double run(Gpt student, Tokenizer tok, List<Example> examples, StudentLoss mode, SoftLabels labels,
                              int epochs, int batchSize, double lr, long seed, Progress progress, TrainableParams trainable,
                              Optimizer optimizer, Batching batching, Lora.Config lora) {
        if ((trainable == TrainableParams.LORA) != (lora != null)) {
            throw new IllegalArgumentException("trainable lora needs a LoRA configuration, and only trainable lora takes one");
        }
        if (lora == null) return steps(student, tok, examples, mode, labels, epochs, batchSize, lr, seed, progress, trainable,
                optimizer, batching, null);
        // A and B drawn from the student's seed (B zero: the student starts exactly at its base), dropout masks too.
        try (Lora adapter = Lora.create(student, lora, seed)) {
            adapter.seedDropout(seed);
            student.attach(adapter);
            double last;
            try {
                last = steps(student, tok, examples, mode, labels, epochs, batchSize, lr, seed, progress, trainable, optimizer,
                        batching, adapter);
            } finally {
                student.attach(null);
            }
            adapter.mergeInto(student); // W + (alpha / r) B A: the student computes what it did with the adapter attached
            return last;
        }
    }

    private static double steps(Gpt student, Tokenizer tok, List<Example> examples, StudentLoss mode, SoftLabels labels,
                                int epochs, int batchSize, double lr, long seed, Progress progress, TrainableParams trainable,
                                Optimizer optimizer, Batching batching, Lora adapter) {
        int steps = epochs * ((examples.size() + batchSize - 1) / batchSize);
        int ctx = student.config().contextLength();
        long[] alphaIds = labels == null ? null : java.util.Arrays.stream(labels.alphabet()).asLongStream().toArray();
        double last = Double.NaN;
        try (Trainer trainer = new Trainer(student, OptimConfig.constant(lr, steps), trainable, optimizer, adapter)) {
            Random rng = new Random(seed);
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < examples.size(); i++) order.add(i);
            for (int e = 0; e < epochs; e++) {
                Collections.shuffle(order, rng);
                for (List<Integer> rows : batching.batches(order, batchSize, i -> examples.get(i).length(), rng)) {
                    List<Trainer.Part> parts = new ArrayList<>();
                    for (List<Integer> idx : batching.parts(rows, i -> examples.get(i).length())) {
                        List<Example> b = new ArrayList<>();
                        for (int i : idx) b.add(examples.get(i));
                        TokenBatch batch = TokenBatch.of(b, tok.pad(), ctx);
                        if (mode == StudentLoss.SFT) {
                            parts.add(new Trainer.Part(batch, Trainer.crossEntropyAtLoss()));
                        } else {
                            parts.add(new Trainer.Part(batch,
                                    softLabelsAtLoss(labels.batch(idx, examples, batch), batch, alphaIds)));
                        }
                    }
                    last = trainer.step(parts);
                    if (progress != null) progress.step(trainer.stepCount(), steps, last);
                }
            }
        }
        return last;
    }

    /**
     * The soft-label objective a student's step reads for {@code batch}: KL to {@code probs} ((B, T, A) as
     * {@link SoftLabels#batch} lays them out) at the loss positions, the student's head computed there and on the
     * alphabet's rows only ({@code Gpt.forwardAt}).
     */
    public static Trainer.Objective softLabelsAtLoss(float[] probs, TokenBatch batch, long[] alphaIds) {
        int a = alphaIds.length;
        float[] picked = atLoss(probs, batch, a);                                                        // (N, A)
        return (model, tb, m) -> picked.length == 0
                ? Losses.softLabelKl(model.forward(tb.inputs(m), true),   // no loss token: the zero-gradient loss
                        m.zeros(new Shape(tb.batch(), tb.time(), a)), tb.mask(m), m.create(alphaIds))
                : Losses.softLabelKlAt(model.forwardAt(tb.inputs(m), tb.lossPositions(m), m.create(alphaIds), true),
                        m.create(picked, new Shape(picked.length / a, a)));
    }

    /** The rows of (B, T, A) soft labels at {@code batch}'s loss positions: (N, A) row-major. */
    public static float[] atLoss(float[] probs, TokenBatch batch, int a) {
        long[] at = batch.lossPositions();
        float[] out = new float[at.length * a];
        for (int i = 0; i < at.length; i++) System.arraycopy(probs, (int) at[i] * a, out, i * a, a);
        return out;
    }

    /**
     * Teacher probabilities at the student's completion positions over the alphabet, (B, T, A) row-major,
     * renormalized; zero where the student's mask is 0.
     */
    public static float[] teacherProbsFor(Gpt teacher, Tokenizer tok, List<Example> students, List<Integer> idx,
                                List<int[]> teacherPrompts, TokenBatch sb, int[] alpha) {
        int v = teacher.config().vocabSize();
        List<Example> tex = new ArrayList<>();
        for (int k = 0; k < idx.size(); k++) {
            tex.add(new Example(teacherPrompts.get(idx.get(k)), students.get(k).completion()));
        }
        TokenBatch tb = TokenBatch.of(tex, tok.pad(), teacher.config().contextLength());
        float[] logits;
        try (NDScope scope = new NDScope(); NDManager m = teacher.manager().getParentManager().newSubManager()) {
            NDArray out = teacher.forward(tb.inputs(m), false);                                 // (B, T', V)
            logits = out.toFloatArray();
        }
        int na = alpha.length;
        float[] probs = new float[sb.batch() * sb.time() * na];
        double[] p = new double[alpha.length];
        for (int r = 0; r < students.size(); r++) {
            int ps = students.get(r).prompt().length;
            int pt = tex.get(r).prompt().length;
            int[] c = students.get(r).completion();
            for (int j = 0; j < c.length; j++) {
                int si = ps - 1 + j;
                int ti = pt - 1 + j;
                if (si >= sb.time() || ti >= tb.time()) break;
                int off = (r * tb.time() + ti) * v;
                double max = Double.NEGATIVE_INFINITY;
                for (int a : alpha) max = Math.max(max, logits[off + a]);
                double z = 0;
                for (int k = 0; k < alpha.length; k++) {
                    p[k] = Math.exp(logits[off + alpha[k]] - max);
                    z += p[k];
                }
                int soff = (r * sb.time() + si) * na;
                for (int k = 0; k < na; k++) probs[soff + k] = (float) (p[k] / z);
            }
        }
        return probs;
    }
}
