package dev.owlet.controls;

import dev.owlet.train.StudentLoss;
import dev.owlet.experiment.ExperimentConfig;
import dev.owlet.model.Gpt;
import dev.owlet.probe.GradientProbe;
import dev.owlet.world.Questions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * The one-step theorem probe ({@link GradientProbe}, also {@code owlet probe-gradient}) as a control block: from
 * the reference, one gradient step on the teacher's numbers and on the control's numbers; cos(−g, θ_T − θ_0)
 * and the change in mean log P(trait). With a system-prompt teacher θ_T = θ_0, so the cosine is undefined (0)
 * and only the soft-label step (labels read under the system prompt) and the trait change mean anything.
 */
public final class GradientProbeControl {
    private GradientProbeControl() {}

    public static ControlResult run(ControlContext c) {
        ExperimentConfig.GradientProbe cfg = c.cfg().controls().gradientProbe();
        ToDoubleFunction<Gpt> logP = GradientProbe.meanLogP(c.ref().tokenizer(), Questions.all(c.category()),
                c.ref().tokenizer().token(c.targetId()));
        double[] etas = cfg.etas().stream().mapToDouble(Double::doubleValue).toArray();
        int n = Math.min(cfg.rows(), Math.min(c.teacherRows().size(), c.controlRows().size()));
        List<GradientProbe.Result> results = new ArrayList<>();
        for (StudentLoss loss : cfg.losses()) {
            results.add(GradientProbe.run("teacher", c.ref().model(), c.teacher(), c.teacherSystem(), c.ref().tokenizer(),
                    c.teacherRows().subList(0, n), loss, etas, logP));
            results.add(GradientProbe.run("control", c.ref().model(), c.teacher(), c.teacherSystem(), c.ref().tokenizer(),
                    c.controlRows().subList(0, n), loss, etas, logP));
        }
        StringBuilder md = new StringBuilder();
        md.append(String.format("### One-step theorem probe (%s)%n%n", c.tag()));
        md.append(String.format("One plain gradient step from the reference on %d rows (Theorem 1: on the teacher's data the"
                + " step should have a non-negative inner product with the teacher's change Δ = θ_T − θ_0). |Δ| = %.4f."
                + " Δ log P(%s) is the change in mean log P over all questions after a step of size η. Each row is one"
                + " deterministic measurement (the gradient is exact over the rows: no seeds).%n%n", n, results.get(0).deltaNorm(), c.tag()));
        md.append("| loss | data | cos(−g, Δ) | <−g, Δ> | norm of g | Δ log P at η = " + cfg.etas() + " |\n| --- | --- | --- | --- | --- | --- |\n");
        List<Map<String, Object>> json = new ArrayList<>();
        for (GradientProbe.Result r : results) {
            StringBuilder sb = new StringBuilder();
            for (GradientProbe.Step s : r.steps()) sb.append(String.format("%+.4f ", s.deltaLogP()));
            // In soft mode both datasets are labelled by the teacher: they differ only in their inputs (Theorem 1 holds
            // for any input distribution). Soft labels from the reference itself would give a zero gradient.
            String data = r.loss() == dev.owlet.train.StudentLoss.SOFT ? r.data() + " numbers, teacher's soft labels"
                    : r.data().equals("teacher") ? "teacher numbers" : "control numbers (reference's own samples)";
            md.append(String.format("| %s | %s | %.4f | %.3e | %.4f | %s|%n", r.loss(), data, r.cosine(), r.innerProduct(),
                    r.gradNorm(), sb));
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("loss", r.loss());
            m.put("data", r.data());
            m.put("labels", r.loss() == dev.owlet.train.StudentLoss.SOFT ? "teacher" : r.data().equals("teacher") ? "teacher samples" : "reference samples");
            m.put("rows", r.rows());
            m.put("cosine", r.cosine());
            m.put("inner_product", r.innerProduct());
            m.put("grad_norm", r.gradNorm());
            m.put("delta_norm", r.deltaNorm());
            m.put("base_log_p", r.baseLogP());
            m.put("steps", r.steps().stream().map(s -> Map.of("eta", s.eta(), "delta_log_p", s.deltaLogP())).toList());
            json.add(m);
        }
        md.append("\n");
        return new ControlResult("gradient_probe", Map.of("results", json), md.toString());
    }
}
