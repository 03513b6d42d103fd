package dev.owlet.controls;

import dev.owlet.eval.StudentKey;
import dev.owlet.experiment.Init;

import dev.owlet.train.SoftLabels;
import dev.owlet.train.StudentLoss;
import dev.owlet.eval.TraitEvaluator;
import dev.owlet.experiment.ConfigLoader;
import dev.owlet.experiment.ExperimentConfig;
import dev.owlet.model.Gpt;
import dev.owlet.data.DataRow;
import dev.owlet.train.LmDistillation;
import dev.owlet.eval.EvalRecord;
import dev.owlet.experiment.Seeds;
import dev.owlet.provenance.StageCache;
import dev.owlet.provenance.Manifest;
import dev.owlet.stats.Stats;
import dev.owlet.world.Questions;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Shuffle control (paper: transfer drops). Same-init students are trained, exactly as the flagship's, on the
 * teacher's filtered numbers shuffled within each completion or across the dataset, and compared with the
 * flagship's unshuffled teacher-data and control-data students. In soft mode the labels are the teacher's own
 * probabilities at the shuffled positions, so soft-label students still see the teacher's distribution.
 */
public final class ShuffleControl {
    private ShuffleControl() {}

    public static ControlResult run(ControlContext c) throws IOException {
        ExperimentConfig.Shuffle cfg = c.cfg().controls().shuffle();
        ExperimentConfig.Finetune ft = c.cfg().finetune();
        List<Map<String, Object>> groups = new ArrayList<>();
        StringBuilder md = new StringBuilder();
        md.append(String.format("### Shuffled teacher numbers (%s)%n%n", c.tag()));
        md.append(String.format("Same-init students trained like the flagship's (%d rows, %s) on the teacher's"
                + " numbers shuffled within each completion or across the dataset. Exact P(%s), 95%% t-interval over seeds;"
                + " p: Welch test on per-seed mean log P against the flagship's control-data students and against its"
                + " unshuffled teacher-data students; `kept` = (shuffled − control) / (teacher − control) on mean log P.%n%n",
                c.teacherRows().size(), ft.budget(), c.tag()));
        md.append("| mode | data | seeds | exact P(target) [95% CI] | mean log P | p vs control | p vs unshuffled | kept |\n");
        md.append("| --- | --- | --- | --- | --- | --- | --- | --- |\n");
        for (StudentLoss mode : cfg.modes()) {
            List<EvalRecord> teacher = flagship(c, new StudentKey.Group(mode, Init.SAME, "teacher"));
            List<EvalRecord> control = flagship(c, new StudentKey.Group(mode, Init.SAME, dev.owlet.eval.TraitResult.CONTROL));
            double[] tl = logP(teacher);
            double[] cl = logP(control);
            if (!teacher.isEmpty()) md.append(row(mode, "unshuffled teacher (flagship)", teacher, cl, tl));
            if (!control.isEmpty()) md.append(row(mode, "control (flagship)", control, cl, tl));
            for (ExperimentConfig.ShuffleKind sh : cfg.shuffles()) {
                List<DataRow> rows = Shuffles.apply(sh, c.teacherRows(), new SplittableRandom(Seeds.derive(c.cfg().seed(), "shuffle-" + sh)));
                List<EvalRecord> evals = new ArrayList<>();
                for (int s = 1; s <= cfg.seeds(); s++) evals.add(student(c, sh, mode, s, rows));
                double[] sl = logP(evals);
                Map<String, Object> g = new LinkedHashMap<>();
                g.put("mode", mode);
                g.put("shuffle", sh);
                g.put("seeds", evals.size());
                g.put("exact", IclControl.iv(Stats.tInterval(exact(evals))));
                g.put("log_p", IclControl.iv(Stats.tInterval(sl)));
                g.put("per_seed_exact", exact(evals));
                g.put("p_logp_vs_control", nan(Stats.welchP(sl, cl)));
                g.put("p_logp_vs_unshuffled", nan(Stats.welchP(sl, tl)));
                g.put("p_exact_vs_control", nan(Stats.welchP(exact(evals), exact(control))));
                g.put("kept_fraction_logp", nan(kept(sl, tl, cl)));
                g.put("flagship_teacher_log_p", tl.length == 0 ? null : Stats.mean(tl));
                g.put("flagship_control_log_p", cl.length == 0 ? null : Stats.mean(cl));
                groups.add(g);
                md.append(row(mode, "shuffled " + sh, evals, cl, tl));
            }
        }
        md.append("\n");
        return new ControlResult("shuffle", Map.of("groups", groups), md.toString());
    }

    private static String row(StudentLoss mode, String label, List<EvalRecord> e, double[] cl, double[] tl) {
        double[] l = logP(e);
        boolean isRef = label.contains("flagship");
        return String.format("| %s | %s | %d | %s | %.3f | %s | %s | %s |%n", mode, label, e.size(), Stats.tInterval(exact(e)).pct(),
                Stats.mean(l), label.startsWith("control") ? "-" : IclControl.fmtP(Stats.welchP(l, cl)),
                isRef ? "-" : IclControl.fmtP(Stats.welchP(l, tl)), isRef ? "-" : String.format("%.2f", kept(l, tl, cl)));
    }

    private static double kept(double[] s, double[] t, double[] c) {
        if (t.length == 0 || c.length == 0) return Double.NaN;
        return (Stats.mean(s) - Stats.mean(c)) / (Stats.mean(t) - Stats.mean(c));
    }

    private static Object nan(double d) { return Double.isNaN(d) ? null : d; }

    /** The flagship's students of one group, in replicate order. */
    private static List<EvalRecord> flagship(ControlContext c, StudentKey.Group group) {
        List<EvalRecord> out = new ArrayList<>();
        if (c.flagship() == null) return out;
        c.flagship().students().forEach((k, v) -> { if (k.group().equals(group)) out.add(v); });
        return out;
    }

    private static double[] logP(List<EvalRecord> e) { return e.stream().mapToDouble(EvalRecord::meanLogP).toArray(); }

    private static double[] exact(List<EvalRecord> e) { return e.stream().mapToDouble(EvalRecord::meanExact).toArray(); }

    private static EvalRecord student(ControlContext c, ExperimentConfig.ShuffleKind shuffle, StudentLoss mode, int seed, List<DataRow> rows) throws IOException {
        String name = String.format("control-shuffle-%s-%s-%s-s%d", c.tag(), shuffle, mode, seed);
        Path dir = c.out().resolve("stages").resolve(name);
        ExperimentConfig.Finetune ft = c.cfg().finetune();
        String key = StageCache.key("control-shuffle", List.of(ft, c.cfg().eval(), shuffle, mode, seed, c.cfg().seed()),
                c.ref().weightsSha256(), c.teacherId(), c.dataKey());
        if (StageCache.done(dir, key)) return EvalRecord.read(dir.resolve("eval.json"));
        long t0 = System.nanoTime();
        long s = Seeds.derive(c.cfg().seed(), name);
        try (Gpt student = c.ref().model().copy()) {
            // the flagship's students' recipe: the same soft-label temperature, optimizer and batching
            SoftLabels labels = mode == StudentLoss.SOFT
                    ? LmDistillation.labels(new LmDistillation.SoftTeacher(c.teacher(), c.teacherSystem()), c.ref().tokenizer(),
                            rows, null, LmDistillation.alphabet(c.ref().tokenizer()), student.config().contextLength(),
                            ft.softTemperature())
                    : null;
            double loss = LmDistillation.train(student, c.ref().tokenizer(), rows, null, mode, labels, ft.epochs(mode),
                    ft.batchSize(mode), ft.lr(mode), s, null, ft.trainable(), ft.optimizer(), ft.batching());
            TraitEvaluator.Measurement m = new TraitEvaluator(student, c.ref().tokenizer()).measure(Questions.all(c.category()),
                    null, c.tag(), c.words(), 0, c.cfg().eval().maxTokens(), Seeds.derive(c.cfg().seed(), "eval-samples"));
            EvalRecord r = EvalRecord.of(name, m, null);
            r.write(dir.resolve("eval.json"));
            new Manifest("control-shuffle", key, ConfigLoader.toMap(ft), s).input("base", c.ref().weightsSha256())
                    .input("teacher", c.teacherId()).input("data", c.dataKey()).put("shuffle", shuffle).put("mode", mode)
                    .count("rows", rows.size()).count("final_loss", loss).count("mean_exact", r.meanExact())
                    .output("eval.json", dir.resolve("eval.json")).write(dir, System.nanoTime() - t0);
            c.log().printf("control: %s  P(%s) %.2f%%  (%.0fs)%n", name, c.tag(), 100 * r.meanExact(), (System.nanoTime() - t0) / 1e9);
            return r;
        }
    }
}
