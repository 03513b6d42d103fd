package dev.owlet.controls;

import dev.owlet.experiment.ExperimentConfig;
import dev.owlet.infer.LogProbs;
import dev.owlet.data.DataRow;
import dev.owlet.experiment.Seeds;
import dev.owlet.token.ChatFormat;
import dev.owlet.token.Tokenizer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Which teacher wrote this completion? (paper: a prompted classifier sat at chance, 47–53%.) Three detectors,
 * each fitted on a train split of teacher (label 1) and control (label 0) filtered completions and scored on a
 * held-out split:
 * <ol>
 *   <li>logistic regression on hashed number / digit n-gram counts ({@link NgramFeatures});</li>
 *   <li>the reference as judge: its log-likelihood of the completion given the prompt (total, or per token), one
 *       threshold and direction chosen on the train split. A 139k-parameter world model cannot be prompted to
 *       answer "which teacher?", so its judgement is its likelihood;</li>
 *   <li>a linear probe (logistic regression, L2 chosen on a validation part of the train split) on the
 *       reference's final hidden states, mean-pooled over the completion tokens.</li>
 * </ol>
 */
public final class DetectionControl {
    private DetectionControl() {}

    public static ControlResult run(ControlContext c) {
        ExperimentConfig.Detection cfg = c.cfg().controls().detection();
        long seed = Seeds.derive(c.cfg().seed(), "detection");
        SplittableRandom rng = new SplittableRandom(seed);
        // Teacher and control answer the same prompts and both copy numbers from them: a prompt's two completions
        // must fall on the same side of the split, or the classifier learns prompt numbers and scores below chance.
        Map<String, DataRow> controlByPrompt = new LinkedHashMap<>();
        for (DataRow r : c.controlRows()) controlByPrompt.putIfAbsent(r.prompt(), r);
        List<DataRow[]> pairs = new ArrayList<>();
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (DataRow r : c.teacherRows()) {
            DataRow k = controlByPrompt.get(r.prompt());
            if (k != null && seen.add(r.prompt())) pairs.add(new DataRow[] {r, k});
        }
        int per = Math.min(cfg.rows(), pairs.size());
        pairs = sample(pairs, per, rng);
        List<DataRow> data = new ArrayList<>();
        for (DataRow[] p : pairs) data.add(p[0]);
        for (DataRow[] p : pairs) data.add(p[1]);
        int[] y = new int[2 * per];
        for (int i = 0; i < per; i++) y[i] = 1;
        int[][] split = pairedSplit(per, cfg.testFraction(), rng);
        int[] train = split[0];
        int[] test = split[1];

        Map<String, Object> json = new LinkedHashMap<>();
        json.put("rows_per_class", per);
        json.put("train", train.length);
        json.put("test", test.length);
        Map<String, Map<String, Object>> methods = new LinkedHashMap<>();

        // (a) n-gram logistic regression
        NgramFeatures f = new NgramFeatures(14);
        List<LogisticRegression.Sparse> all = new ArrayList<>();
        for (DataRow r : data) all.add(f.of(r.completion()));
        methods.put("ngram_logistic_regression", fitAndScore(all, y, train, test, f.dim(), cfg.epochs(),
                new double[] {1e-5, 1e-4, 1e-3}, seed));

        // (b) the reference's likelihood as judge
        Tokenizer tok = c.ref().tokenizer();
        ChatFormat chat = new ChatFormat(tok);
        List<int[]> prompts = new ArrayList<>();
        List<int[]> comps = new ArrayList<>();
        for (DataRow r : data) {
            prompts.add(chat.prompt(null, r.prompt()));
            comps.add(chat.completion(r.completion()));
        }
        double[] total = new LogProbs(c.ref().model(), tok.pad()).continuation(prompts, comps, 64);
        double[] perTok = new double[total.length];
        for (int i = 0; i < total.length; i++) perTok[i] = total[i] / comps.get(i).length;
        methods.put("reference_likelihood_judge", thresholdJudge(new double[][] {total, perTok},
                new String[] {"total log P", "per-token log P"}, y, train, test));

        // (c) linear probe on mean-pooled final hidden states
        int ctx = c.ref().model().config().contextLength();
        int d = c.ref().model().config().dModel();
        List<LogisticRegression.Sparse> hid = new ArrayList<>();
        for (int s = 0; s < data.size(); s += 64) {
            List<int[]> seqs = new ArrayList<>();
            for (int i = s; i < Math.min(data.size(), s + 64); i++) seqs.add(Dists.concat(prompts.get(i), comps.get(i), ctx));
            float[] h = Dists.hidden(c.ref().model(), seqs, tok.pad());
            int t = Dists.maxLen(seqs);
            for (int r = 0; r < seqs.size(); r++) {
                int from = prompts.get(s + r).length - 1;
                int to = seqs.get(r).length;
                float[] v = new float[d];
                for (int p = from; p < to; p++) for (int k = 0; k < d; k++) v[k] += h[(r * t + p) * d + k];
                for (int k = 0; k < d; k++) v[k] /= Math.max(1, to - from);
                hid.add(LogisticRegression.dense(v));
            }
        }
        standardize(hid, train, d);
        methods.put("hidden_state_linear_probe", fitAndScore(hid, y, train, test, d, cfg.epochs(),
                new double[] {1e-4, 1e-3, 1e-2, 1e-1}, seed + 1));
        json.put("methods", methods);

        StringBuilder md = new StringBuilder();
        md.append(String.format("### Detection (%s)%n%n", c.tag()));
        md.append(String.format("Which teacher wrote a filtered completion: %d teacher and %d control completions of the same"
                + " prompts, %d held out (a prompt's two completions on the same side). Accuracy with a Wilson 95%% interval; p is an exact two-sided binomial test against 50%%.%n%n",
                per, per, test.length));
        md.append("| detector | train accuracy | held-out accuracy [95% CI] | p vs 50% | chosen |\n| --- | --- | --- | --- | --- |\n");
        for (var e : methods.entrySet()) {
            Map<String, Object> m = e.getValue();
            @SuppressWarnings("unchecked") Map<String, Object> te = (Map<String, Object>) m.get("test");
            @SuppressWarnings("unchecked") List<Double> ci = (List<Double>) te.get("ci95");
            md.append(String.format("| %s | %.1f%% | %.1f%% [%.1f, %.1f] | %s | %s |%n", e.getKey().replace('_', ' '),
                    100 * (double) m.get("train_accuracy"), 100 * (double) te.get("accuracy"), 100 * ci.get(0),
                    100 * ci.get(1), IclControl.fmtP((double) te.get("p_vs_chance")), m.get("chosen")));
        }
        md.append("\n");
        return new ControlResult("detection", json, md.toString());
    }

    /** Fits with each L2 on 80% of train, picks the best on the other 20%, refits on all of train, scores test. */
    static Map<String, Object> fitAndScore(List<LogisticRegression.Sparse> x, int[] y, int[] train, int[] test, int dim,
                                           int epochs, double[] l2s, long seed) {
        int cut = (int) (0.8 * train.length);
        int[] fit = java.util.Arrays.copyOfRange(train, 0, cut);
        int[] val = java.util.Arrays.copyOfRange(train, cut, train.length);
        double best = -1;
        double bestL2 = l2s[0];
        for (double l2 : l2s) {
            LogisticRegression m = LogisticRegression.fit(pick(x, fit), pick(y, fit), dim, epochs, 0.05, l2, seed);
            double acc = (double) m.correct(pick(x, val), pick(y, val)) / Math.max(1, val.length);
            if (acc > best) { best = acc; bestL2 = l2; }
        }
        LogisticRegression m = LogisticRegression.fit(pick(x, train), pick(y, train), dim, epochs, 0.05, bestL2, seed);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("train_accuracy", (double) m.correct(pick(x, train), pick(y, train)) / train.length);
        out.put("test", Binomial.accuracy(m.correct(pick(x, test), pick(y, test)), test.length));
        out.put("chosen", "l2=" + bestL2);
        return out;
    }

    /** Best single threshold (and direction) over several scores, chosen on train. */
    static Map<String, Object> thresholdJudge(double[][] scores, String[] names, int[] y, int[] train, int[] test) {
        double bestAcc = -1;
        int bestS = 0;
        double bestT = 0;
        int bestDir = 1;
        for (int s = 0; s < scores.length; s++) {
            for (int i : train) {
                for (int dir : new int[] {1, -1}) {
                    double thr = scores[s][i];
                    int ok = 0;
                    for (int j : train) if ((dir * (scores[s][j] - thr) >= 0 ? 1 : 0) == y[j]) ok++;
                    double acc = (double) ok / train.length;
                    if (acc > bestAcc) { bestAcc = acc; bestS = s; bestT = thr; bestDir = dir; }
                }
            }
        }
        int ok = 0;
        for (int j : test) if ((bestDir * (scores[bestS][j] - bestT) >= 0 ? 1 : 0) == y[j]) ok++;
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("train_accuracy", bestAcc);
        out.put("test", Binomial.accuracy(ok, test.length));
        out.put("chosen", names[bestS] + (bestDir > 0 ? " >= " : " < ") + String.format("%.3f", bestT) + " means teacher");
        return out;
    }

    private static void standardize(List<LogisticRegression.Sparse> x, int[] train, int d) {
        double[] mu = new double[d];
        double[] sd = new double[d];
        for (int i : train) for (int k = 0; k < d; k++) mu[k] += x.get(i).val()[k] / train.length;
        for (int i : train) for (int k = 0; k < d; k++) sd[k] += Math.pow(x.get(i).val()[k] - mu[k], 2) / train.length;
        for (LogisticRegression.Sparse s : x) {
            for (int k = 0; k < d; k++) s.val()[k] = (float) ((s.val()[k] - mu[k]) / Math.sqrt(sd[k] + 1e-12));
        }
    }

    private static <T> List<T> sample(List<T> rows, int k, SplittableRandom rng) {
        int[] p = dev.owlet.stats.Stats.permutation(rows.size(), rng);
        List<T> out = new ArrayList<>(k);
        for (int i = 0; i < k; i++) out.add(rows.get(p[i]));
        return out;
    }

    /**
     * Train and test indices over {@code [0, per)} (teacher) and {@code [per, 2 per)} (control), where {@code i} and
     * {@code per + i} answer the same prompt: pairs are held out whole, so both classes lose the same share and no
     * prompt is on both sides. (A plain random split also leaves train and test with opposite class imbalances,
     * which pushes an overfitted classifier below chance when there is no signal.)
     */
    static int[][] pairedSplit(int per, double testFraction, SplittableRandom rng) {
        int k = (int) Math.round(testFraction * per);
        int[] a = dev.owlet.stats.Stats.permutation(per, rng);
        int[] b = a;
        int[] test = new int[2 * k];
        int[] train = new int[2 * (per - k)];
        for (int i = 0; i < k; i++) { test[2 * i] = a[i]; test[2 * i + 1] = per + b[i]; }
        for (int i = k; i < per; i++) { train[2 * (i - k)] = a[i]; train[2 * (i - k) + 1] = per + b[i]; }
        return new int[][] {train, test};
    }

    private static List<LogisticRegression.Sparse> pick(List<LogisticRegression.Sparse> x, int[] idx) {
        List<LogisticRegression.Sparse> out = new ArrayList<>(idx.length);
        for (int i : idx) out.add(x.get(i));
        return out;
    }

    private static int[] pick(int[] y, int[] idx) {
        int[] out = new int[idx.length];
        for (int i = 0; i < idx.length; i++) out[i] = y[idx[i]];
        return out;
    }
}
