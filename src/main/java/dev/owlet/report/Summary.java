package dev.owlet.report;

import dev.owlet.eval.TraitResult;
import dev.owlet.eval.EvalRecord;
import dev.owlet.stats.Interval;
import dev.owlet.stats.Stats;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns per-model evaluations into the rows of the report: each model or student group with its rate, a 95%
 * interval (over questions for single models, a t-interval over seeds for student groups), and for students a
 * two-sided Welch test against the control students of the same mode and initialization, with Cohen's d.
 */
public final class Summary {
    private Summary() {}

    /** One table row. {@code perSeed} holds the per-seed means (one value for single models). */
    public record Row(String trait, String model, String mode, String init, String data, int seeds, int questions,
                      Interval exact, Interval sampled, Interval logP, double conditional, double prefixExact,
                      double pExact, double pLogP, double cohensD, double[] perSeedExact, double pSampled) {}

    public static List<Row> rows(TraitResult t) { return rows(t, "numbers"); }

    /** Rows of one trait whose data came through {@code channel} (it names the data in the row labels). */
    public static List<Row> rows(TraitResult t, String channel) {
        List<Row> rows = new ArrayList<>();
        String trait = t.trait().target();
        for (var s : t.singles().entrySet()) {
            String single = s.getKey();
            EvalRecord e = s.getValue();
            double lp = e.heldOutLogP(e.target());
            rows.add(new Row(trait, single, "-", single.startsWith("different") ? "diff" : "same", "-", 1,
                    e.heldOutExact().length, Stats.tInterval(e.heldOutExact()),
                    e.sampled().length == 0 ? null : Stats.tInterval(e.heldOutSampledPerQuestion()),
                    new Interval(lp, lp, lp, 1, "single value"), e.meanConditional(),
                    e.meanPrefix(), Double.NaN, Double.NaN, Double.NaN, new double[] {e.primary()}, Double.NaN));
        }
        Map<dev.owlet.eval.StudentKey.Group, List<EvalRecord>> groups = new LinkedHashMap<>();
        t.students().forEach((k, v) -> groups.computeIfAbsent(k.group(), x -> new ArrayList<>()).add(v));
        for (var g : groups.entrySet()) {
            var grp = g.getKey();
            String mode = grp.mode().toString(), init = grp.init().toString(), data = grp.data();
            List<EvalRecord> es = g.getValue();
            double[] ex = es.stream().mapToDouble(EvalRecord::primary).toArray();
            double[] sa = es.stream().mapToDouble(EvalRecord::heldOutSampled).toArray();
            double[] lp = es.stream().mapToDouble(e -> e.heldOutLogP(e.target())).toArray();
            double cond = Stats.mean(es.stream().mapToDouble(EvalRecord::meanConditional).toArray());
            double pre = Stats.mean(es.stream().mapToDouble(EvalRecord::meanPrefix).toArray());
            double pEx = Double.NaN, pLp = Double.NaN, d = Double.NaN, pSa = Double.NaN;
            if (!data.equals(TraitResult.CONTROL)) {
                List<EvalRecord> ctrl = groups.get(grp.control());
                if (ctrl != null) {
                    double[] cex = ctrl.stream().mapToDouble(EvalRecord::primary).toArray();
                    double[] clp = ctrl.stream().mapToDouble(e -> e.heldOutLogP(e.target())).toArray();
                    pEx = Stats.welchP(ex, cex);
                    pLp = Stats.welchP(lp, clp);
                    d = Stats.cohensD(lp, clp);
                    double[] csa = ctrl.stream().mapToDouble(EvalRecord::heldOutSampled).toArray();
                    if (!Double.isNaN(sa[0]) && !Double.isNaN(csa[0])) pSa = Stats.welchP(sa, csa);
                }
            }
            rows.add(new Row(trait, label(init, data, channel), mode, init, data, es.size(), es.get(0).heldOutExact().length,
                    Stats.tInterval(ex), Double.isNaN(sa[0]) ? null : Stats.tInterval(sa), Stats.tInterval(lp), cond, pre,
                    pEx, pLp, d, ex, pSa));
        }
        return rows;
    }

    static String label(String init, String data) { return label(init, data, "numbers"); }

    static String label(String init, String data, String channel) {
        String what = switch (channel) { case "code" -> "code"; case "cot" -> "reasoning"; default -> "numbers"; };
        String who = switch (data) {
            case "teacher" -> "teacher";
            case "control" -> "control";
            default -> data + "-teacher";
        };
        return (init.equals("same") ? "same-init" : "different-init") + " student, " + who + " " + what;
    }
}
