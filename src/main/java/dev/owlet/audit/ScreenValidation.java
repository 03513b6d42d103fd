package dev.owlet.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.owlet.data.DataRow;
import dev.owlet.eval.EvalRecord;
import dev.owlet.model.Checkpoint;
import dev.owlet.model.Gpt;
import dev.owlet.model.ModelLocator;
import dev.owlet.probe.GradientProbe;
import dev.owlet.stats.Stats;
import dev.owlet.token.Tokenizer;
import dev.owlet.train.StudentLoss;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Does the pre-training screen predict transfer? Runs the screen on every (data, trait) pair of a finished sweep,
 * whose real outcome the sweep's students measured, and reports the screen's AUROC.
 *
 * <p>A pair is one writer's data (a trait teacher's numbers) read for one trait of the same category, with the
 * sweep's student base. Its <b>outcome</b> is what the sweep measured: the same-init SFT students of that data
 * answer the trait more often than the students of the category's other teachers (Welch over replicates, p &lt;
 * 0.05 and a ratio above 1). The diagonal pairs (a teacher's own trait) are where transfer is expected; the others
 * are where it is not, and are measured the same way. Its <b>score</b> is the one-step gradient screen
 * (Theorem 1 of Cloud et al.; the "coverage" screens of later work): cos(−g, θ_T − θ_R) of the mean loss gradient g
 * of the base on that data against the trait teacher's displacement from the base, minus the same cosine for the
 * base's own numbers (the sweep's control data), so that traits whose teachers moved in easier directions are not
 * favoured. Nothing is trained: the screen costs one gradient per writer.
 */
public final class ScreenValidation {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ScreenValidation() {}

    /** One (data, trait) pair: the screen's score and the sweep's measured outcome. */
    public record Pair(String data, String trait, double cosine, double score, double studentRate, double othersRate,
                       double ratio, double p, int replicates, boolean transferred) {}

    /** The screen on every pair: AUROC of the score for "transferred", with a Hanley–McNeil 95% interval. */
    public record Report(String run, int rows, List<Pair> pairs, int positives, int negatives, double auroc, double low,
                         double high, double aurocRawCosine, List<double[]> roc) {}

    /**
     * @param run a finished run folder of a sweep (results.json, stage folders) with same-init SFT students
     * @param rows how many of each writer's training rows the gradient reads
     */
    public static Report run(Path run, int rows, java.io.PrintStream log) throws IOException {
        Path resultsFile = run.resolve("results.json");
        if (!Files.exists(resultsFile)) throw new IllegalArgumentException(run + ": no results.json (not a finished run)");
        JsonNode results = JSON.readTree(resultsFile.toFile());
        JsonNode cfg = results.get("config");
        int replicates = cfg.at("/finetune/replicates").asInt();
        Map<String, String> categoryOf = new LinkedHashMap<>();
        for (JsonNode t : cfg.get("traits")) if (!t.path("alignment").asBoolean()) categoryOf.put(t.get("target").asText(), t.get("category").asText());
        for (JsonNode c : cfg.path("control_traits")) categoryOf.putIfAbsent(c.asText(), cfg.get("traits").get(0).get("category").asText());
        if (categoryOf.size() < 2) throw new IllegalArgumentException(run + ": a screen needs at least two trait teachers (a sweep)");
        Path stages = run.resolve("stages");
        for (String w : categoryOf.keySet()) {
            if (!Files.exists(stages.resolve("student-" + w + "-sft-same-r1/manifest.json"))) {
                throw new IllegalArgumentException(run + ": no same-init SFT students of " + w + "'s data (the screen is"
                        + " validated against them; finetune.modes must include sft and finetune.inits same)");
            }
        }
        String refName = cfg.get("reference").asText();
        Path refPath = ModelLocator.resolve(refName);
        if (!Checkpoint.exists(refPath)) throw new IllegalArgumentException("reference " + refName + " of " + run + " is not there");

        try (ai.djl.ndarray.NDManager root = ai.djl.ndarray.NDManager.newBaseManager();
             Checkpoint.Loaded ref = Checkpoint.load(refPath, root)) {
            Tokenizer tok = ref.tokenizer();
            Map<String, Map<String, float[]>> grads = new LinkedHashMap<>();
            List<String> writers = new ArrayList<>(categoryOf.keySet());
            writers.add("control");
            for (String w : writers) {
                List<DataRow> data = DataRow.read(stages.resolve("filter-" + w + "-r1/filtered.jsonl")).rows();
                List<DataRow> sample = data.subList(0, Math.min(rows, data.size()));
                log.printf("screen: gradient of the base on %s's data (%d rows)%n", w, sample.size());
                grads.put(w, GradientProbe.gradient(ref.model(), ref.model(), null, tok, sample, StudentLoss.SFT));
            }
            List<Pair> pairs = new ArrayList<>();
            for (String trait : categoryOf.keySet()) {
                try (Checkpoint.Loaded teacher = Checkpoint.load(stages.resolve("teacher-" + trait), root)) {
                    double controlCos = GradientProbe.cosine(grads.get("control"), ref.model(), teacher.model());
                    for (String data : categoryOf.keySet()) {
                        if (!categoryOf.get(data).equals(categoryOf.get(trait))) continue;
                        double cos = GradientProbe.cosine(grads.get(data), ref.model(), teacher.model());
                        pairs.add(outcome(stages, categoryOf, data, trait, replicates, cos, cos - controlCos));
                    }
                }
            }
            return report(run.toString(), rows, pairs);
        }
    }

    /** The sweep's measurement for one pair: its students' P(trait) against the other same-category teachers' students'. */
    private static Pair outcome(Path stages, Map<String, String> categoryOf, String data, String trait, int replicates,
                                double cos, double score) throws IOException {
        String noun = categoryOf.get(trait);
        double[] mine = new double[replicates];
        double[] others = new double[replicates];
        for (int r = 1; r <= replicates; r++) {
            mine[r - 1] = heldOut(stages, data, r, noun, trait);
            double s = 0;
            int n = 0;
            for (String o : categoryOf.keySet()) {
                if (o.equals(data) || !categoryOf.get(o).equals(noun)) continue;
                s += heldOut(stages, o, r, noun, trait);
                n++;
            }
            others[r - 1] = s / n;
        }
        double ratio = Stats.mean(mine) / Stats.mean(others);
        double p = Stats.welchP(mine, others);
        return new Pair(data, trait, cos, score, Stats.mean(mine), Stats.mean(others), ratio, p, replicates,
                p < 0.05 && ratio > 1);
    }

    private static double heldOut(Path stages, String writer, int r, String noun, String trait) throws IOException {
        Path f = stages.resolve("student-" + writer + "-sft-same-r" + r).resolve("eval-" + noun + ".json");
        if (!Files.exists(f)) throw new IllegalArgumentException("missing " + f + " (an unfinished sweep?)");
        return EvalRecord.read(f).heldOut(trait);
    }

    /** AUROC = P(score of a transferred pair > score of one that did not), ties half; Hanley–McNeil interval. */
    static Report report(String run, int rows, List<Pair> pairs) {
        List<Double> pos = new ArrayList<>();
        List<Double> neg = new ArrayList<>();
        List<Double> posRaw = new ArrayList<>();
        List<Double> negRaw = new ArrayList<>();
        for (Pair p : pairs) {
            (p.transferred() ? pos : neg).add(p.score());
            (p.transferred() ? posRaw : negRaw).add(p.cosine());
        }
        double a = auroc(pos, neg);
        double n1 = pos.size(), n2 = neg.size();
        double q1 = a / (2 - a), q2 = 2 * a * a / (1 + a);
        double se = Math.sqrt((a * (1 - a) + (n1 - 1) * (q1 - a * a) + (n2 - 1) * (q2 - a * a)) / Math.max(1, n1 * n2));
        return new Report(run, rows, pairs, pos.size(), neg.size(), a, Math.max(0, a - 1.96 * se), Math.min(1, a + 1.96 * se),
                auroc(posRaw, negRaw), roc(pos, neg));
    }

    static double auroc(List<Double> pos, List<Double> neg) {
        if (pos.isEmpty() || neg.isEmpty()) return Double.NaN;
        double s = 0;
        for (double x : pos) for (double y : neg) s += x > y ? 1 : x == y ? 0.5 : 0;
        return s / (pos.size() * (double) neg.size());
    }

    /** ROC points (false-positive rate, true-positive rate), thresholds from high to low. */
    static List<double[]> roc(List<Double> pos, List<Double> neg) {
        List<double[]> scored = new ArrayList<>();
        for (double x : pos) scored.add(new double[] {x, 1});
        for (double y : neg) scored.add(new double[] {y, 0});
        scored.sort((u, v) -> Double.compare(v[0], u[0]));
        List<double[]> pts = new ArrayList<>();
        pts.add(new double[] {0, 0});
        double tp = 0, fp = 0;
        for (int i = 0; i < scored.size(); i++) {
            if (scored.get(i)[1] == 1) tp++; else fp++;
            if (i + 1 == scored.size() || scored.get(i + 1)[0] != scored.get(i)[0]) {
                pts.add(new double[] {neg.isEmpty() ? 0 : fp / neg.size(), pos.isEmpty() ? 0 : tp / pos.size()});
            }
        }
        return pts;
    }
}
