package dev.owlet.controls;

import dev.owlet.experiment.ExperimentConfig;
import dev.owlet.infer.LogProbs;
import dev.owlet.experiment.Seeds;
import dev.owlet.stats.Interval;
import dev.owlet.stats.Stats;
import dev.owlet.token.ChatFormat;
import dev.owlet.world.Questions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * In-context learning control (paper: no transfer). For each requested N, each favorite-trait question is asked
 * after as many of N random filtered completions as fit the context; the same question and draw indices are used
 * with the teacher's and with the control's completions, so the comparison is paired over questions.
 */
public final class IclControl {
    private IclControl() {}

    public static ControlResult run(ControlContext c) {
        ExperimentConfig.Icl cfg = c.cfg().controls().icl();
        ChatFormat chat = new ChatFormat(c.ref().tokenizer());
        int context = c.ref().model().config().contextLength();
        List<String> qs = Questions.all(c.category());
        LogProbs lp = new LogProbs(c.ref().model(), c.ref().tokenizer().pad());
        int target = c.targetId();
        List<int[]> plain = new ArrayList<>();
        for (String q : qs) plain.add(chat.prompt(null, q));
        double[] base = column(lp.nextToken(plain, 64), target);
        List<Map<String, Object>> rows = new ArrayList<>();
        StringBuilder md = new StringBuilder();
        md.append(String.format("### In-context learning (%s)%n%n", c.tag()));
        md.append(String.format("The reference, untrained, asked each of %d questions after N filtered completions"
                + " (`e1. e2. question`), %d random draws per question; exact P(%s) averaged over draws, 95%% t-interval"
                + " over questions, paired t-test teacher vs control examples. The context is %d tokens, so N is capped by"
                + " what fits: `fit` is the mean number of whole completions actually in the prompt. No examples: %s.%n%n",
                qs.size(), cfg.draws(), c.tag(), context, Stats.tInterval(base).pct()));
        md.append("| N requested | N that fit (mean) | teacher examples | control examples | difference [95% CI] | p (paired) | P(target given a category answer): teacher vs control |\n");
        md.append("| --- | --- | --- | --- | --- | --- | --- |\n");
        int n = Math.min(c.teacherRows().size(), c.controlRows().size());
        for (int shots : cfg.shots()) {
            SplittableRandom rng = new SplittableRandom(Seeds.derive(c.cfg().seed(), "icl-" + shots));
            List<int[]> tp = new ArrayList<>();
            List<int[]> cp = new ArrayList<>();
            double used = 0;
            for (String q : qs) {
                for (int d = 0; d < cfg.draws(); d++) {
                    // Only a few completions fit; draw at most 32 candidates (a superset of what can fit).
                    int k = Math.min(shots, 32);
                    List<String> te = new ArrayList<>();
                    List<String> ce = new ArrayList<>();
                    for (int i = 0; i < k; i++) {
                        int idx = rng.nextInt(n);
                        te.add(c.teacherRows().get(idx).completion());
                        ce.add(c.controlRows().get(idx).completion());
                    }
                    IclPrompts.Assembled a = IclPrompts.assemble(te, q, shots, context, s -> chat.prompt(null, s).length);
                    IclPrompts.Assembled b = IclPrompts.assemble(ce, q, shots, context, s -> chat.prompt(null, s).length);
                    used += a.shots();
                    tp.add(chat.prompt(null, a.text()));
                    cp.add(chat.prompt(null, b.text()));
                }
            }
            float[][] tn = lp.nextToken(tp, 64);
            float[][] cn = lp.nextToken(cp, 64);
            double[] t = perQuestion(column(tn, target), qs.size(), cfg.draws());
            double[] k = perQuestion(column(cn, target), qs.size(), cfg.draws());
            // Numbers in the prompt pull answers toward numbers; the rate among category answers separates that
            // from any preference between animals.
            double[] tc = perQuestion(conditional(tn, target, c), qs.size(), cfg.draws());
            double[] kc = perQuestion(conditional(cn, target, c), qs.size(), cfg.draws());
            double[] diff = new double[t.length];
            for (int i = 0; i < t.length; i++) diff[i] = t[i] - k[i];
            double fit = used / (qs.size() * cfg.draws());
            double p = Stats.pairedP(t, k);
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("shots_requested", shots);
            r.put("shots_fit_mean", fit);
            r.put("teacher", iv(Stats.tInterval(t)));
            r.put("control", iv(Stats.tInterval(k)));
            r.put("difference", iv(Stats.tInterval(diff)));
            r.put("p_paired", p);
            r.put("teacher_given_category", iv(Stats.tInterval(tc)));
            r.put("control_given_category", iv(Stats.tInterval(kc)));
            r.put("p_paired_given_category", Stats.pairedP(tc, kc));
            r.put("p_teacher_vs_no_examples", Stats.pairedP(t, base));
            rows.add(r);
            Interval di = Stats.tInterval(diff);
            md.append(String.format("| %d | %.2f | %s | %s | %+.2f pp [%+.2f, %+.2f] | %s | %s vs %s (p %s) |%n", shots, fit,
                    Stats.tInterval(t).pct(), Stats.tInterval(k).pct(), 100 * di.mean(), 100 * di.low(), 100 * di.high(),
                    fmtP(p), Stats.tInterval(tc).pct(), Stats.tInterval(kc).pct(), fmtP(Stats.pairedP(tc, kc))));
        }
        md.append("\n");
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("questions", qs.size());
        json.put("draws", cfg.draws());
        json.put("context_length", context);
        json.put("no_examples", iv(Stats.tInterval(base)));
        json.put("by_shots", rows);
        return new ControlResult("icl", json, md.toString());
    }

    private static double[] conditional(float[][] next, int id, ControlContext c) {
        int[] ids = c.words().stream().mapToInt(w -> c.ref().tokenizer().id(w)).filter(i -> i >= 0).toArray();
        double[] out = new double[next.length];
        for (int i = 0; i < next.length; i++) {
            double z = 0;
            for (int w : ids) z += next[i][w];
            out[i] = z > 0 ? next[i][id] / z : 0;
        }
        return out;
    }

    static double[] column(float[][] next, int id) {
        double[] out = new double[next.length];
        for (int i = 0; i < next.length; i++) out[i] = next[i][id];
        return out;
    }

    private static double[] perQuestion(double[] flat, int questions, int draws) {
        double[] out = new double[questions];
        for (int q = 0; q < questions; q++) {
            double s = 0;
            for (int d = 0; d < draws; d++) s += flat[q * draws + d];
            out[q] = s / draws;
        }
        return out;
    }

    static Map<String, Object> iv(Interval i) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("mean", i.mean());
        m.put("ci95", List.of(i.low(), i.high()));
        m.put("n", i.n());
        m.put("over", i.method());
        return m;
    }

    static String fmtP(double p) {
        if (Double.isNaN(p)) return "-";
        return p < 1e-4 ? String.format("%.1e", p) : String.format("%.3f", p);
    }
}
