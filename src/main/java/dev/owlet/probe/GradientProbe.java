package dev.owlet.probe;

import dev.owlet.train.StudentLoss;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.owlet.model.Gpt;
import dev.owlet.data.DataRow;
import dev.owlet.train.LmDistillation;
import dev.owlet.token.ChatFormat;
import dev.owlet.token.Tokenizer;
import dev.owlet.train.Example;
import dev.owlet.train.Losses;
import dev.owlet.train.TokenBatch;
import dev.owlet.train.Trainer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The paper's Theorem 1 as a measurement. From the reference θ0, take the gradient g of the student's loss on
 * some data (sampled-token cross-entropy, or soft labels from the teacher); report cos(−g, θ_T − θ0), the inner
 * product, and the change in mean log P(trait) after one plain gradient step of several sizes. The theorem
 * predicts a non-negative inner product when the data comes from a teacher that is a small fine-tune of θ0.
 */
public final class GradientProbe {
    private GradientProbe() {}

    /** One step size's effect on the trait. */
    public record Step(double eta, double deltaLogP) {}

    /** The probe's result on one dataset. */
    public record Result(String data, StudentLoss loss, int rows, double cosine, double innerProduct, double gradNorm,
                         double deltaNorm, double baseLogP, List<Step> steps) {}

    /**
     * @param logPTrait mean log P(trait) of a model (the caller's evaluation)
     */
    public static Result run(String label, Gpt reference, Gpt teacher, String teacherSystem, Tokenizer tok,
                             List<DataRow> rows, StudentLoss loss, double[] etas,
                             java.util.function.ToDoubleFunction<Gpt> logPTrait) {
        Map<String, float[]> grad = gradient(reference, teacher, teacherSystem, tok, rows, loss);
        double dot = 0, gg = 0, dd = 0;
        Map<String, float[]> theta0 = new LinkedHashMap<>();
        for (var e : reference.parameters().entrySet()) {
            float[] p0 = e.getValue().toFloatArray();
            float[] pt = teacher.parameters().get(e.getKey()).toFloatArray();
            float[] g = grad.get(e.getKey());
            theta0.put(e.getKey(), p0);
            for (int i = 0; i < p0.length; i++) {
                double d = pt[i] - p0[i];
                dot += -g[i] * d;
                gg += (double) g[i] * g[i];
                dd += d * d;
            }
        }
        double base = logPTrait.applyAsDouble(reference);
        List<Step> steps = new ArrayList<>();
        try (Gpt moved = reference.copy()) {
            for (double eta : etas) {
                for (var e : moved.parameters().entrySet()) {
                    float[] p0 = theta0.get(e.getKey());
                    float[] g = grad.get(e.getKey());
                    float[] p = new float[p0.length];
                    for (int i = 0; i < p.length; i++) p[i] = (float) (p0[i] - eta * g[i]);
                    e.getValue().set(p);
                }
                steps.add(new Step(eta, logPTrait.applyAsDouble(moved) - base));
            }
        }
        return new Result(label, loss, rows.size(), dot / Math.sqrt(gg * dd + 1e-30), dot, Math.sqrt(gg), Math.sqrt(dd),
                base, steps);
    }

    /**
     * The trait measure the probe steps are judged by: mean over questions of log P(target) as the answer's first
     * token. Prompts are built once; the function is evaluated on the reference and on each stepped copy.
     */
    public static java.util.function.ToDoubleFunction<Gpt> meanLogP(Tokenizer tok, List<String> questions, String target) {
        ChatFormat chat = new ChatFormat(tok);
        List<int[]> prompts = new ArrayList<>();
        for (String q : questions) prompts.add(chat.prompt(null, q));
        int id = tok.id(target);
        if (id < 0) throw new IllegalArgumentException("trait '" + target + "' is not a token of the model");
        return g -> {
            float[][] next = new dev.owlet.infer.LogProbs(g, tok.pad()).nextToken(prompts, 64);
            double s = 0;
            for (float[] r : next) s += Math.log(Math.max(1e-30, r[id]));
            return s / next.length;
        };
    }

    /**
     * cos(−g, θ_T − θ_R): how well one gradient step on some data points from the reference toward a teacher.
     *
     * @param grad a mean-loss gradient at the reference ({@link #gradient})
     */
    public static double cosine(Map<String, float[]> grad, Gpt reference, Gpt teacher) {
        double dot = 0, gg = 0, dd = 0;
        for (var e : reference.parameters().entrySet()) {
            float[] p0 = e.getValue().toFloatArray();
            float[] pt = teacher.parameters().get(e.getKey()).toFloatArray();
            float[] g = grad.get(e.getKey());
            for (int i = 0; i < p0.length; i++) {
                double d = pt[i] - p0[i];
                dot += -g[i] * d;
                gg += (double) g[i] * g[i];
                dd += d * d;
            }
        }
        return dot / Math.sqrt(gg * dd + 1e-30);
    }

    /** Mean-loss gradient over all rows (accumulated over batches of 64), as float arrays per parameter. */
    public static Map<String, float[]> gradient(Gpt student, Gpt teacher, String teacherSystem, Tokenizer tok,
                                         List<DataRow> rows, StudentLoss loss) {
        ChatFormat chat = new ChatFormat(tok);
        int[] alpha = LmDistillation.alphabet(tok);
        Map<String, float[]> sum = new LinkedHashMap<>();
        student.setRequiresGradient(true);
        try {
            for (int s = 0; s < rows.size(); s += 64) {
                List<DataRow> part = rows.subList(s, Math.min(rows.size(), s + 64));
                List<Example> ex = new ArrayList<>();
                List<int[]> tp = new ArrayList<>();
                List<Integer> idx = new ArrayList<>();
                for (int i = 0; i < part.size(); i++) {
                    ex.add(new Example(chat.prompt(null, part.get(i).prompt()), chat.completion(part.get(i).completion())));
                    tp.add(chat.prompt(teacherSystem, part.get(i).prompt()));
                    idx.add(i);
                }
                TokenBatch b = TokenBatch.of(ex, tok.pad(), student.config().contextLength());
                float weight = (float) part.size() / rows.size();
                try (NDScope scope = new NDScope(); NDManager m = student.manager().getParentManager().newSubManager()) {
                    NDArray l;
                    float[] probs = loss == StudentLoss.SOFT ? LmDistillation.teacherProbsFor(teacher, tok, ex, idx, tp, b, alpha) : null;
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        l = loss == StudentLoss.SOFT
                                ? Losses.softLabelKl(student.forward(b.inputs(m), true),
                                        m.create(probs, new Shape(b.batch(), b.time(), alpha.length)), b.mask(m), m.create(java.util.Arrays.stream(alpha).asLongStream().toArray()))
                                : Trainer.crossEntropy().loss(student, b, m);
                        gc.backward(l);
                    }
                    for (var e : student.parameters().entrySet()) {
                        NDArray g = e.getValue().getGradient();
                        float[] a = g.toFloatArray();
                        float[] acc = sum.computeIfAbsent(e.getKey(), k -> new float[a.length]);
                        for (int i = 0; i < a.length; i++) acc[i] += weight * a[i];
                        g.subi(g);
                    }
                }
            }
        } finally {
            student.setRequiresGradient(false);
        }
        return sum;
    }
}
