package dev.owlet.report;

import dev.owlet.eval.TraitResult;
import dev.owlet.eval.EvalRecord;
import dev.owlet.stats.Stats;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The verdicts a script or a reviewer checks: for every trait × mode × init, the teacher-data students' rate
 * against the <em>higher</em> of two controls that can both move — students of the reference's own data (the
 * paper's control) and students of other-trait teachers made the same way (the mean over those teachers, per
 * replicate) — over replicates, each a new dataset and a new student.
 *
 * <p>The metric is exact P(target) on the held-out paraphrases (those the teacher never trained on). {@code ratio}
 * is the ratio of mean rates; {@code ci} a 95% interval for it from Welch's interval on log rates (a ratio of
 * geometric means, so it need not be centred on {@code ratio}); {@code p} Welch's two-sided test on the rates.
 */
public final class Effects {
    private Effects() {}

    /**
     * One verdict. {@code otherTraitRate} is NaN and {@code otherPerReplicate} null when no other-trait students exist
     * for this cell.
     */
    public record Effect(String trait, String mode, String init, String metric, double teacherRate, double controlRate,
                         double otherTraitRate, String against, double ratio, double ciLow, double ciHigh, double p,
                         int replicates, double logPShift, double[] teacherPerReplicate, double[] baselinePerReplicate,
                         double[] otherPerReplicate) {
        /** Transfer at the level the report calls clear: p below 0.01 and the teacher's students above the control. */
        public boolean transfers() { return p < 0.01 && ratio > 1; }

        public Map<String, Object> json() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("trait", trait);
            m.put("mode", mode);
            m.put("init", init);
            m.put("metric", metric);
            m.put("teacher_rate", teacherRate);
            m.put("control_rate", controlRate);
            m.put("other_trait_rate", Double.isNaN(otherTraitRate) ? null : otherTraitRate);
            m.put("against", against);
            m.put("ratio", ratio);
            m.put("ci", java.util.Arrays.asList(finite(ciLow), finite(ciHigh)));
            m.put("p", finite(p));
            m.put("replicates", replicates);
            m.put("log_p_shift", logPShift);
            m.put("teacher_per_replicate", teacherPerReplicate);
            m.put("baseline_per_replicate", baselinePerReplicate);
            return m;
        }

        private static Object finite(double d) { return Double.isFinite(d) ? d : null; }
    }

    public static final String METRIC = "exact P(target), held-out questions";

    /** One verdict's students: a mode and an initialization. */
    private record Cell(dev.owlet.train.StudentLoss mode, dev.owlet.experiment.Init init) {}

    /** Every effect of one trait: one per (mode, init) that has teacher-data and control-data students. */
    public static List<Effect> of(TraitResult t) {
        String target = t.trait().target();
        // mode/init -> data -> replicate -> record
        Map<Cell, Map<String, TreeMap<Integer, EvalRecord>>> cells = new LinkedHashMap<>();
        for (var e : t.students().entrySet()) {
            dev.owlet.eval.StudentKey k = e.getKey();
            cells.computeIfAbsent(new Cell(k.mode(), k.init()), x -> new LinkedHashMap<>())
                    .computeIfAbsent(k.data(), x -> new TreeMap<>()).put(k.replicate(), e.getValue());
        }
        List<Effect> out = new ArrayList<>();
        for (var cell : cells.entrySet()) {
            Map<String, TreeMap<Integer, EvalRecord>> byData = cell.getValue();
            TreeMap<Integer, EvalRecord> teacher = byData.get("teacher");
            TreeMap<Integer, EvalRecord> control = byData.get(TraitResult.CONTROL);
            if (teacher == null || control == null) continue;
            List<TreeMap<Integer, EvalRecord>> others = new ArrayList<>();
            byData.forEach((d, m) -> { if (!d.equals("teacher") && !d.equals(TraitResult.CONTROL)) others.add(m); });
            out.add(effect(target, cell.getKey().mode().toString(), cell.getKey().init().toString(), teacher, control, others));
        }
        return out;
    }

    private static Effect effect(String target, String mode, String init, TreeMap<Integer, EvalRecord> teacher,
                                 TreeMap<Integer, EvalRecord> control, List<TreeMap<Integer, EvalRecord>> others) {
        double[] tr = rates(teacher, target, false);
        double[] cr = rates(control, target, false);
        double[] or = others.isEmpty() ? null : meanOver(others, target, false);
        boolean otherHigher = or != null && Stats.mean(or) > Stats.mean(cr);
        double[] base = otherHigher ? or : cr;
        double[] baseLog = otherHigher ? meanOver(others, target, true) : rates(control, target, true);
        double[] tLog = rates(teacher, target, true);
        Stats.Welch logs = Stats.welch(logs(tr), logs(base));
        return new Effect(target, mode, init, METRIC, Stats.mean(tr), Stats.mean(cr), or == null ? Double.NaN : Stats.mean(or),
                otherHigher ? "other-trait students" : "control-data students", Stats.mean(tr) / Stats.mean(base),
                Math.exp(logs.low()), Math.exp(logs.high()), Stats.welchP(tr, base), tr.length,
                Stats.mean(tLog) - Stats.mean(baseLog), tr, base, or);
    }

    /** Per-replicate held-out rate (or mean held-out log P) of {@code target}, in replicate order. */
    private static double[] rates(TreeMap<Integer, EvalRecord> recs, String target, boolean log) {
        return recs.values().stream().mapToDouble(e -> log ? e.heldOutLogP(target) : e.heldOut(target)).toArray();
    }

    /** Per replicate, the mean over several writers' students (the other-trait control of that replicate). */
    private static double[] meanOver(List<TreeMap<Integer, EvalRecord>> groups, String target, boolean log) {
        TreeMap<Integer, double[]> sum = new TreeMap<>();
        for (TreeMap<Integer, EvalRecord> g : groups) {
            g.forEach((r, e) -> {
                double[] s = sum.computeIfAbsent(r, x -> new double[2]);
                s[0] += log ? e.heldOutLogP(target) : e.heldOut(target);
                s[1]++;
            });
        }
        return sum.values().stream().mapToDouble(s -> s[0] / s[1]).toArray();
    }

    private static double[] logs(double[] x) {
        double[] l = new double[x.length];
        for (int i = 0; i < x.length; i++) l[i] = Math.log(Math.max(1e-30, x[i]));
        return l;
    }

    /** The sentence the terminal opens with, e.g. "owl, SFT, same-init: 9.1% vs control 4.6% ...". */
    public static String story(Effect e) {
        String vs = Double.isNaN(e.otherTraitRate())
                ? String.format("control-data students %s", pct(e.controlRate()))
                : String.format("control-data %s, other-trait %s", pct(e.controlRate()), pct(e.otherTraitRate()));
        String verdict = e.transfers() ? "TRANSFER" : e.replicates() < 2 ? "one replicate: no test" : "no clear transfer";
        String ci = Double.isFinite(e.ciLow()) ? String.format(" [%.2f, %.2f]", e.ciLow(), e.ciHigh()) : "";
        return String.format("%s, %s, %s-init students: %s vs %s — %.2fx%s, p = %s, %d replicate%s: %s",
                e.trait(), e.mode().toUpperCase(java.util.Locale.ROOT), e.init(), pct(e.teacherRate()), vs, e.ratio(),
                ci, p(e.p()), e.replicates(), e.replicates() == 1 ? "" : "s", verdict);
    }

    static String pct(double x) { return String.format("%.1f%%", 100 * x); }

    static String p(double p) {
        if (Double.isNaN(p)) return "-";
        return p < 1e-4 ? String.format("%.1e", p) : String.format("%.4f", p);
    }
}
