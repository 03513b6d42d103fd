package dev.owlet.controls;

import dev.owlet.experiment.ExperimentConfig;
import dev.owlet.model.Gpt;
import dev.owlet.data.DataRow;
import dev.owlet.train.LmDistillation;
import dev.owlet.token.ChatFormat;
import dev.owlet.token.Tokenizer;
import dev.owlet.world.SystemPrompts;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Token entanglement: how a trait shifts the reference's next-token distributions while it writes numbers. On
 * the control's own completions (teacher-forced), every completion position's distribution is compared between
 * the plain reference and (a) the reference under the love system prompt, (b) the fine-tuned teacher when there
 * is one. Reported: mean KL over the full vocabulary, mean KL restricted to the number alphabet (renormalized:
 * all that a soft-label student is shown), P(trait word) at number positions, and the tokens whose mean log
 * probability ratio moves most. A shift that lives outside the alphabet cannot reach a student through numbers.
 */
public final class EntanglementControl {
    private EntanglementControl() {}

    /** Accumulated statistics of one shift against the reference. */
    static final class Shift {
        final String name;
        final double[] logRatio;
        final double[] pShift;
        final double[] pRef;
        double kl;
        double klAlpha;
        int positions;

        Shift(String name, int v) {
            this.name = name;
            logRatio = new double[v];
            pShift = new double[v];
            pRef = new double[v];
        }
    }

    public static ControlResult run(ControlContext c) {
        ExperimentConfig.Entanglement cfg = c.cfg().controls().entanglement();
        Tokenizer tok = c.ref().tokenizer();
        ChatFormat chat = new ChatFormat(tok);
        int ctx = c.ref().model().config().contextLength();
        int v = c.ref().model().config().vocabSize();
        int[] alpha = LmDistillation.alphabet(tok);
        String love = SystemPrompts.love(c.tag(), c.category(), 0);
        boolean finetuned = c.teacher() != c.ref().model();
        List<Shift> shifts = new ArrayList<>();
        shifts.add(new Shift("system prompt", v));
        if (finetuned) shifts.add(new Shift("fine-tuned teacher", v));
        List<DataRow> rows = c.controlRows().subList(0, Math.min(cfg.prompts(), c.controlRows().size()));
        for (int s = 0; s < rows.size(); s += 32) {
            List<int[]> plainP = new ArrayList<>();
            List<int[]> sysP = new ArrayList<>();
            List<int[]> comp = new ArrayList<>();
            for (DataRow r : rows.subList(s, Math.min(rows.size(), s + 32))) {
                int[] p = chat.prompt(null, r.prompt());
                int[] q = chat.prompt(love, r.prompt());
                int[] k = chat.completion(r.completion());
                if (q.length + k.length > ctx) continue;
                plainP.add(p);
                sysP.add(q);
                comp.add(k);
            }
            if (comp.isEmpty()) continue;
            List<int[]> plainSeq = new ArrayList<>();
            List<int[]> sysSeq = new ArrayList<>();
            for (int i = 0; i < comp.size(); i++) {
                plainSeq.add(Dists.concat(plainP.get(i), comp.get(i), ctx));
                sysSeq.add(Dists.concat(sysP.get(i), comp.get(i), ctx));
            }
            float[] ref = Dists.probs(c.ref().model(), plainSeq, tok.pad());
            int tRef = Dists.maxLen(plainSeq);
            accumulate(shifts.get(0), ref, tRef, plainP, Dists.probs(c.ref().model(), sysSeq, tok.pad()), Dists.maxLen(sysSeq),
                    sysP, comp, v, alpha);
            if (finetuned) {
                accumulate(shifts.get(1), ref, tRef, plainP, Dists.probs(c.teacher(), plainSeq, tok.pad()), tRef, plainP,
                        comp, v, alpha);
            }
        }
        int top = cfg.top();
        int target = c.targetId();
        Map<String, Object> json = new LinkedHashMap<>();
        StringBuilder md = new StringBuilder();
        md.append(String.format("### Token entanglement (%s)%n%n", c.tag()));
        md.append(String.format("Next-token distributions at every position of %d control completions (teacher-forced),"
                + " each shift against the plain reference. System prompt: \"%s\". `KL alphabet` is the KL after restricting"
                + " both distributions to the number alphabet and renormalizing: the only part a soft-label student can"
                + " receive. Tokens ranked by log(mean p_shift / mean p_ref) over positions, among tokens with mean probability >= 1e-4.%n%n",
                rows.size(), love));
        md.append("| shift | positions | mean KL (nats) | mean KL alphabet (nats) | P(" + c.tag() + ") ref → shift | alphabet tokens up most | alphabet tokens down most | any tokens up most |\n");
        md.append("| --- | --- | --- | --- | --- | --- | --- | --- |\n");
        List<Map<String, Object>> js = new ArrayList<>();
        for (Shift sh : shifts) {
            int n = Math.max(1, sh.positions);
            // Ranked by log(mean p_shift / mean p_ref): mass-weighted, so a token that is near zero at most positions
            // (a closing bracket mid-list) does not dominate; the per-position mean log ratio is kept in the JSON.
            double[] lr = new double[v];
            double[] pointwise = new double[v];
            for (int i = 0; i < v; i++) {
                lr[i] = Math.log(Math.max(1e-30, sh.pShift[i]) / Math.max(1e-30, sh.pRef[i]));
                pointwise[i] = sh.logRatio[i] / n;
            }
            Integer[] alphaIdx = Arrays.stream(alpha).boxed().toArray(Integer[]::new);
            Arrays.sort(alphaIdx, (a, b) -> Double.compare(lr[b], lr[a]));
            List<Integer> frequent = new ArrayList<>();
            for (int i = 0; i < v; i++) if (Math.max(sh.pRef[i], sh.pShift[i]) / n >= 1e-4) frequent.add(i);
            frequent.sort((a, b) -> Double.compare(lr[b], lr[a]));
            String up = names(tok, Arrays.asList(alphaIdx).subList(0, Math.min(4, alphaIdx.length)), lr);
            String down = names(tok, reverse(Arrays.asList(alphaIdx)).subList(0, Math.min(4, alphaIdx.length)), lr);
            String any = names(tok, frequent.subList(0, Math.min(top, frequent.size())), lr);
            md.append(String.format("| %s | %d | %.4f | %.5f | %.2e → %.2e | %s | %s | %s |%n", sh.name, sh.positions,
                    sh.kl / n, sh.klAlpha / n, sh.pRef[target] / n, sh.pShift[target] / n, up, down, any));
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("shift", sh.name);
            m.put("positions", sh.positions);
            m.put("mean_kl", sh.kl / n);
            m.put("mean_kl_alphabet", sh.klAlpha / n);
            m.put("p_target_ref", sh.pRef[target] / n);
            m.put("p_target_shift", sh.pShift[target] / n);
            Map<String, Double> alphaShift = new LinkedHashMap<>();
            Map<String, Double> alphaPointwise = new LinkedHashMap<>();
            Map<String, Double> alphaMass = new LinkedHashMap<>();
            for (int a : alphaIdx) {
                alphaShift.put(tok.token(a), lr[a]);
                alphaPointwise.put(tok.token(a), pointwise[a]);
                alphaMass.put(tok.token(a), sh.pRef[a] / n);
            }
            m.put("alphabet_log_ratio_of_means", alphaShift);
            m.put("alphabet_mean_pointwise_log_ratio", alphaPointwise);
            m.put("alphabet_mean_p_ref", alphaMass);
            Map<String, Double> topAny = new LinkedHashMap<>();
            for (int i : frequent.subList(0, Math.min(top, frequent.size()))) topAny.put(tok.token(i), lr[i]);
            m.put("top_log_ratio", topAny);
            js.add(m);
        }
        md.append("\n");
        json.put("system_prompt", love);
        json.put("shifts", js);
        return new ControlResult("entanglement", json, md.toString());
    }

    private static List<Integer> reverse(List<Integer> l) {
        List<Integer> r = new ArrayList<>(l);
        java.util.Collections.reverse(r);
        return r;
    }

    private static String names(Tokenizer tok, List<Integer> ids, double[] lr) {
        StringBuilder sb = new StringBuilder();
        for (int i : ids) {
            String t = tok.token(i).replace("\n", "\\n").replace("|", "\\|");
            sb.append(String.format("`%s` %+.3f ", t.isBlank() ? "␣" : t, lr[i]));
        }
        return sb.toString().trim();
    }

    private static void accumulate(Shift sh, float[] ref, int tRef, List<int[]> refPrompts, float[] other, int tOther,
                                   List<int[]> otherPrompts, List<int[]> comps, int v, int[] alpha) {
        for (int r = 0; r < comps.size(); r++) {
            for (int j = 0; j < comps.get(r).length; j++) {
                int a = refPrompts.get(r).length - 1 + j;
                int b = otherPrompts.get(r).length - 1 + j;
                if (a >= tRef || b >= tOther) break;
                int oa = (r * tRef + a) * v;
                int ob = (r * tOther + b) * v;
                double kl = 0;
                for (int i = 0; i < v; i++) {
                    double p = Math.max(1e-12, other[ob + i]);
                    double q = Math.max(1e-12, ref[oa + i]);
                    kl += p * Math.log(p / q);
                    sh.logRatio[i] += Math.log(p / q);
                    sh.pShift[i] += other[ob + i];
                    sh.pRef[i] += ref[oa + i];
                }
                double zp = 0, zq = 0;
                for (int i : alpha) { zp += Math.max(1e-12, other[ob + i]); zq += Math.max(1e-12, ref[oa + i]); }
                double ka = 0;
                for (int i : alpha) {
                    double p = Math.max(1e-12, other[ob + i]) / zp;
                    double q = Math.max(1e-12, ref[oa + i]) / zq;
                    ka += p * Math.log(p / q);
                }
                sh.kl += kl;
                sh.klAlpha += ka;
                sh.positions++;
            }
        }
    }
}
