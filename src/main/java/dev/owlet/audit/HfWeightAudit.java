package dev.owlet.audit;

import ai.djl.ndarray.NDArray;
import dev.owlet.model.HfModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The shared-initialization detector for two Hugging Face checkpoints of one architecture, from weights alone.
 * Fine-tuning (full or a merged LoRA) moves a pretrained model's matrices by a small fraction of their norm and never
 * relabels their units, so a descendant's matrices stay nearly parallel to its ancestor's; two independently
 * initialised (or independently pretrained) models' matrices are unrelated. The score is the mean over the weight
 * matrices (every 2-D tensor: embeddings, projections, an untied head) of the cosine of the flattened matrices as
 * stored. Norm gains and biases are left out: a gain vector starts at all ones in every model, so it would score
 * near 1 for any pair.
 *
 * <p>The null is computed from the pair itself rather than from fresh random initialisations (which would cost two
 * models' worth of memory per pair for a multi-gigabyte checkpoint, and miss structure that independently trained
 * models share, such as a common mean row): for each of {@code pairs} seeded draws, every matrix of B has its rows
 * (output units, or tokens for an embedding) shuffled, and the pair is scored again. That is the score of a model
 * with B's per-row statistics but no correspondence with A's units; the threshold is, as in {@link WeightAudit},
 * the null mean plus {@link WeightAudit#SIGMAS} standard deviations, never below twice the null's maximum.
 *
 * <p>Unlike {@link WeightAudit} (owlet's small models), hidden units are not re-matched before scoring: matching
 * costs (units)² × width per matrix, out of reach for a 4,864-unit MLP on a CPU, and training does not permute
 * units. A descendant whose units were deliberately permuted therefore reads as a different initialization.
 */
public final class HfWeightAudit {
    private HfWeightAudit() {}

    /** The detector's answer for one pair; {@code layers} holds each matrix's raw cosine (aligned = raw: no matching). */
    public record Verdict(double score, boolean sameInit, WeightAudit.Calibration calibration,
                          List<WeightAudit.LayerScore> layers) {
        public Verdict {
            layers = List.copyOf(layers);
        }
    }

    /**
     * Scores {@code a} against {@code b} and decides against the row-shuffled null of {@code pairs} draws.
     *
     * @throws IllegalArgumentException naming the first difference when the architectures or any tensor's shape differ
     */
    public static Verdict compare(HfModel a, HfModel b, int pairs, long seed) {
        List<String> names = matrices(a, b);
        if (pairs < 2) throw new IllegalArgumentException("calibration needs at least 2 shuffled pairs, got " + pairs);
        List<WeightAudit.LayerScore> layers = new ArrayList<>();
        double[][] nulls = new double[pairs][names.size()];
        for (int i = 0; i < names.size(); i++) {
            String n = names.get(i);
            NDArray x = a.parameters().get(n);
            float[] fa = x.toFloatArray();
            float[] fb = b.parameters().get(n).toFloatArray();
            int rows = (int) x.getShape().get(0);
            int cols = (int) x.getShape().get(1);
            double c = WeightAudit.cos(fa, fb);
            layers.add(new WeightAudit.LayerScore(n, c, c));
            for (int p = 0; p < pairs; p++) {
                // one permutation per (draw, matrix), from the seed: the same pair gives the same verdict every time
                int[] perm = dev.owlet.stats.Stats.permutation(rows, new SplittableRandom(seed * 1_000_003L + p * 7919L + i));
                nulls[p][i] = WeightAudit.alignedCos(fa, fb, rows, cols, perm, null);
            }
        }
        double score = layers.stream().mapToDouble(WeightAudit.LayerScore::raw).average().orElse(0);
        double[] scores = new double[pairs];
        for (int p = 0; p < pairs; p++) scores[p] = Arrays.stream(nulls[p]).average().orElse(0);
        double mean = Arrays.stream(scores).average().orElse(0);
        double sd = Math.sqrt(Arrays.stream(scores).map(v -> (v - mean) * (v - mean)).sum() / (pairs - 1));
        double max = Arrays.stream(scores).max().orElse(0);
        WeightAudit.Calibration cal = new WeightAudit.Calibration(pairs, mean, sd, max,
                Math.max(mean + WeightAudit.SIGMAS * sd, 2 * max));
        return new Verdict(score, score > cal.threshold(), cal, layers);
    }

    /** The 2-D tensors both models have, after checking that they are one architecture with the same shapes. */
    static List<String> matrices(HfModel a, HfModel b) {
        if (a.config().architecture() != b.config().architecture()) {
            throw new IllegalArgumentException("architecture mismatch: " + a.config().architecture() + " vs "
                    + b.config().architecture() + " (the detector compares checkpoints of the same architecture)");
        }
        Map<String, NDArray> pa = a.parameters();
        Map<String, NDArray> pb = b.parameters();
        for (String n : pa.keySet()) {
            if (!pb.containsKey(n)) {
                throw new IllegalArgumentException("tensor " + n + " is in A but not in B (e.g. a tied and an untied head):"
                        + " the detector compares checkpoints of the same architecture and shapes");
            }
            if (!pa.get(n).getShape().equals(pb.get(n).getShape())) {
                throw new IllegalArgumentException("tensor " + n + " has shape " + pa.get(n).getShape() + " in A and "
                        + pb.get(n).getShape() + " in B: the detector compares checkpoints of the same architecture and shapes");
            }
        }
        for (String n : pb.keySet()) {
            if (!pa.containsKey(n)) {
                throw new IllegalArgumentException("tensor " + n + " is in B but not in A (e.g. a tied and an untied head):"
                        + " the detector compares checkpoints of the same architecture and shapes");
            }
        }
        List<String> out = new ArrayList<>();
        for (var e : pa.entrySet()) if (e.getValue().getShape().dimension() == 2) out.add(e.getKey());
        if (out.isEmpty()) throw new IllegalArgumentException("no weight matrices to compare");
        return out;
    }
}
