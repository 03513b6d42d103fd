package dev.owlet.audit;

import ai.djl.ndarray.NDManager;
import dev.owlet.lineage.Artifact;
import dev.owlet.lineage.LineageRules;
import dev.owlet.lineage.LineageStore;
import dev.owlet.model.Checkpoint;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Validates the weight detector on every pair of models in the lineage store whose checkpoint is on disk, with the
 * truth taken from the store (two models share an initialization when their base chains end in the same root).
 * The score distributions it reports are the evidence for the threshold.
 */
public final class DetectorValidation {
    private DetectorValidation() {}

    /** One scored pair. */
    public record Pair(String a, String b, boolean truthSame, double score, boolean saidSame) {
        public boolean error() { return truthSame != saidSame; }
    }

    /** Summary of one group's scores. */
    public record Distribution(int n, double min, double mean, double max) {
        static Distribution of(double[] x) {
            if (x.length == 0) return new Distribution(0, Double.NaN, Double.NaN, Double.NaN);
            return new Distribution(x.length, Arrays.stream(x).min().orElseThrow(), Arrays.stream(x).average().orElseThrow(),
                    Arrays.stream(x).max().orElseThrow());
        }
    }

    public record Result(WeightAudit.Calibration calibration, Distribution same, Distribution different, int errors,
                         List<Pair> pairs) {
        public Result {
            pairs = List.copyOf(pairs);
        }
    }

    public static Result run(LineageStore store, NDManager root) throws IOException {
        List<String> labels = new ArrayList<>();
        List<String> roots = new ArrayList<>();
        List<WeightAudit.Weights> weights = new ArrayList<>();
        for (Artifact a : store.artifacts()) {
            if (!a.kind().isModel() || a.path().isEmpty() || !Checkpoint.exists(Path.of(a.path()))) continue;
            try (Checkpoint.Loaded l = Checkpoint.load(Path.of(a.path()), root)) {
                if (!l.weightsSha256().equals(a.id())) continue; // the folder was overwritten since it was scanned
                weights.add(WeightAudit.Weights.of(l.model()));
            }
            List<String> chain = LineageRules.baseChain(store, a.id());
            labels.add(a.label());
            roots.add(chain.get(chain.size() - 1));
        }
        if (weights.size() < 2) throw new IllegalArgumentException("fewer than two models with checkpoints in " + store.file());
        WeightAudit.Calibration cal = WeightAudit.calibrate(weights.get(0).config(), 6, 7_000, root);
        List<Pair> pairs = new ArrayList<>();
        List<Double> same = new ArrayList<>();
        List<Double> diff = new ArrayList<>();
        for (int i = 0; i < weights.size(); i++) {
            for (int j = i + 1; j < weights.size(); j++) {
                if (!weights.get(i).config().equals(weights.get(j).config())) continue;
                WeightAudit.Verdict v = WeightAudit.compare(weights.get(i), weights.get(j), cal);
                boolean truth = roots.get(i).equals(roots.get(j));
                pairs.add(new Pair(labels.get(i), labels.get(j), truth, v.score(), v.sameInit()));
                (truth ? same : diff).add(v.score());
            }
        }
        int errors = (int) pairs.stream().filter(Pair::error).count();
        return new Result(cal, Distribution.of(same.stream().mapToDouble(Double::doubleValue).toArray()),
                Distribution.of(diff.stream().mapToDouble(Double::doubleValue).toArray()), errors, pairs);
    }
}
