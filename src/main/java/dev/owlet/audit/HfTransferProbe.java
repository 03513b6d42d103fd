package dev.owlet.audit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import dev.owlet.data.DataRow;
import dev.owlet.eval.ChatTraitEvaluator;
import dev.owlet.model.HfModel;
import dev.owlet.model.LoadedModel;
import dev.owlet.model.Lora;
import dev.owlet.stats.Stats;
import dev.owlet.train.ChatExamples;
import dev.owlet.train.Example;
import dev.owlet.train.Gradients;
import dev.owlet.train.HfTrainer;
import dev.owlet.train.Losses;
import dev.owlet.train.OptimConfig;
import dev.owlet.train.StudentLoss;
import dev.owlet.train.TokenBatch;
import dev.owlet.world.Category;
import dev.owlet.world.Questions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * {@link TransferProbe} on a Hugging Face checkpoint: the reference R and a teacher T (a checkpoint of the same
 * architecture and shapes, e.g. a fine-tune of R, merged), candidate data and control data, each row laid out as a chat
 * with R's template. Per dataset: (1) the gradient probe, cos(−g, θ_T − θ_R), with g the gradient of the mean
 * next-token cross-entropy on the rows' answers at R over every weight of R (Theorem 1 of Cloud et al.: data from a
 * teacher that is a small fine-tune of R pulls R toward it); (2) a short probe fine-tune, a LoRA ({@link #PROBE_LORA})
 * on R trained on the rows with {@link HfTrainer#lora}, reporting the shift in log P(trait) per question
 * ({@link ChatTraitEvaluator}: the answer begins with the word) with a t-interval over questions. Students on a
 * checkpoint learn sampled tokens (sft) only, as in the pipeline: soft labels are refused.
 */
public final class HfTransferProbe {
    /** The probe fine-tune's adapter: the paper's open-model recipe (r 8, alpha 8) on every projection. */
    public static final Lora.Config PROBE_LORA = new Lora.Config(8, 8, null, "all-linear", 0.0, false);
    private static final int GRADIENT_BATCH = 16;

    private HfTransferProbe() {}

    /**
     * @throws IllegalArgumentException for a trait outside the world, soft labels, or a teacher whose architecture or
     *     tensor shapes differ from the reference's (naming the tensor)
     */
    public static TransferProbe.Report run(LoadedModel.Hf reference, HfModel teacher, List<DataRow> data,
                                           List<DataRow> control, String trait, TransferProbe.Settings s) {
        Category cat = Category.TREE.words().contains(trait) ? Category.TREE : Category.ANIMAL;
        if (!cat.words().contains(trait)) throw new IllegalArgumentException("--trait '" + trait + "' is not an animal or tree of the world");
        if (s.loss() != StudentLoss.SFT) {
            throw new IllegalArgumentException("--loss " + s.loss().name().toLowerCase() + ": students on a Hugging Face"
                    + " checkpoint learn sampled tokens only; use --loss sft");
        }
        HfWeightAudit.matrices(reference.model(), teacher); // one architecture, the same tensors and shapes, or it says which
        List<String> questions = Questions.all(cat);
        double[] base = logP(reference, questions, trait, cat);
        TransferProbe.Arm t = arm("teacher", reference, teacher, TransferProbe.sample(data, s), questions, trait, cat, base, s);
        TransferProbe.Arm c = arm("control", reference, teacher, TransferProbe.sample(control, s), questions, trait, cat, base, s);
        double[] diff = new double[base.length];
        for (int i = 0; i < diff.length; i++) diff[i] = t.perQuestion()[i] - c.perQuestion()[i];
        return new TransferProbe.Report(trait, s, Stats.mean(base), t, c, Stats.tInterval(diff));
    }

    private static TransferProbe.Arm arm(String label, LoadedModel.Hf ref, HfModel teacher, List<DataRow> rows,
                                         List<String> questions, String trait, Category cat, double[] base,
                                         TransferProbe.Settings s) {
        List<Example> ex = new ArrayList<>();
        for (DataRow r : rows) ex.add(ChatExamples.sft(ref.tok(), ref.endIds(), null, r.prompt(), r.completion()));
        double[] g = alignment(ref, teacher, ex);
        double[] after;
        int perEpoch = (ex.size() + s.batchSize() - 1) / s.batchSize();
        try (Lora lora = Lora.create(ref.model(), PROBE_LORA, s.seed())) {
            try (HfTrainer tr = HfTrainer.lora(ref.model(), lora, OptimConfig.constant(s.lr(), perEpoch * s.epochs()), s.seed())) {
                SplittableRandom rng = new SplittableRandom(s.seed());
                for (int e = 0; e < s.epochs(); e++) {
                    List<Example> order = new ArrayList<>(ex);
                    for (int i = order.size() - 1; i > 0; i--) Collections.swap(order, i, rng.nextInt(i + 1));
                    for (int b = 0; b < order.size(); b += s.batchSize()) {
                        tr.step(TokenBatch.of(order.subList(b, Math.min(order.size(), b + s.batchSize())), ref.pad(),
                                ref.model().contextLength()));
                    }
                }
                after = logP(ref, questions, trait, cat); // the adapter stays attached after training
            } finally {
                ref.model().attach(null);
            }
        }
        double[] delta = new double[after.length];
        for (int i = 0; i < delta.length; i++) delta[i] = after[i] - base[i];
        return new TransferProbe.Arm(label, rows.size(), g[0], g[1], Stats.tInterval(delta), delta);
    }

    /**
     * {cos(−g, θ_T − θ_R), −g · (θ_T − θ_R)} with g the gradient at R of the mean cross-entropy over every answer token
     * of {@code ex}, accumulated over batches (each weighted by its share of the tokens). Every weight of R requires a
     * gradient only while this runs; nothing is stepped.
     */
    static double[] alignment(LoadedModel.Hf ref, HfModel teacher, List<Example> ex) {
        HfModel r = ref.model();
        r.attach(null);
        Map<String, float[]> sum = new LinkedHashMap<>();
        long tokens = 0;
        List<TokenBatch> batches = new ArrayList<>();
        for (int b = 0; b < ex.size(); b += GRADIENT_BATCH) {
            TokenBatch tb = TokenBatch.of(ex.subList(b, Math.min(ex.size(), b + GRADIENT_BATCH)), ref.pad(), r.contextLength());
            batches.add(tb);
            for (float m : tb.mask()) tokens += m > 0 ? 1 : 0;
        }
        r.parameters().values().forEach(p -> p.setRequiresGradient(true));
        try {
            for (TokenBatch tb : batches) {
                long n = 0;
                for (float m : tb.mask()) n += m > 0 ? 1 : 0;
                float weight = (float) n / Math.max(1, tokens);
                try (NDScope scope = new NDScope(); NDManager m = r.manager().getParentManager().newSubManager()) {
                    Gradients.backward(() -> Losses.maskedCrossEntropy(r.forward(tb.inputs(m), false), tb.targets(m), tb.mask(m)));
                    for (var e : r.parameters().entrySet()) {
                        NDArray grad = e.getValue().getGradient();
                        float[] a = grad.toFloatArray();
                        float[] acc = sum.computeIfAbsent(e.getKey(), k -> new float[a.length]);
                        for (int i = 0; i < a.length; i++) acc[i] += weight * a[i];
                        grad.subi(grad); // torch accumulates .grad across backward calls
                    }
                }
            }
        } finally {
            r.parameters().values().forEach(p -> p.setRequiresGradient(false));
        }
        double dot = 0, gg = 0, dd = 0;
        for (var e : r.parameters().entrySet()) {
            float[] p0 = e.getValue().toFloatArray();
            float[] pt = teacher.parameters().get(e.getKey()).toFloatArray();
            float[] g = sum.get(e.getKey());
            for (int i = 0; i < p0.length; i++) {
                double d = pt[i] - p0[i];
                dot += -g[i] * d;
                gg += (double) g[i] * g[i];
                dd += d * d;
            }
        }
        return new double[] {dot / Math.sqrt(gg * dd + 1e-30), dot};
    }

    /** log P(the answer begins with the trait word) per question, through the chat template, adapter included. */
    private static double[] logP(LoadedModel.Hf m, List<String> questions, String trait, Category cat) {
        double[] p = new ChatTraitEvaluator(m.model(), m.tok(), m.endIds())
                .measure(questions, null, trait, cat.words(), 0, 1, 0).exactPerQuestion();
        double[] out = new double[p.length];
        for (int i = 0; i < out.length; i++) out[i] = Math.log(Math.max(1e-30, p[i]));
        return out;
    }
}
