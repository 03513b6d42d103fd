package dev.owlet.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.owlet.provenance.AtomicFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * One model's evaluation as stored in its stage folder: per-question exact probabilities and sampled rates
 * (plain and number-prefixed questions), so reports can be re-rendered and re-tested without re-running models.
 *
 * @param exactByWord per-question exact probability of every word of the category (the cross-trait matrix reads
 *     other traits' rates from it); empty for evaluations that do not measure it
 * @param sampled per-question sampled rate of the target; it covers the last {@code sampled.length} questions (with a
 *     held-out split only the held-out ones are sampled), see {@link #sampledFrom}
 * @param sampledByWord per-question sampled rate of every word of the category, from the same draws (same questions)
 * @param prefixByWord per-question exact probability of every word on the number-prefixed questions
 * @param heldOutFrom index of the first held-out question (paraphrases the teacher never trained on): questions
 *     {@code heldOutFrom..} are the primary metric's; 0 when every question counts
 */
public record EvalRecord(String model, String target, double[] exact, double[] sampled, double[] conditional,
                         double meanLogP, double[] prefixExact, Map<String, Double> distribution, int samplesPerQuestion,
                         Map<String, double[]> exactByWord, Map<String, double[]> sampledByWord,
                         Map<String, double[]> prefixByWord, int heldOutFrom) {
    public EvalRecord(String model, String target, double[] exact, double[] sampled, double[] conditional,
                      double meanLogP, double[] prefixExact, Map<String, Double> distribution, int samplesPerQuestion) {
        this(model, target, exact, sampled, conditional, meanLogP, prefixExact, distribution, samplesPerQuestion,
                Map.of(), Map.of(), Map.of(), 0);
    }
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public static EvalRecord of(String model, TraitEvaluator.Measurement m, TraitEvaluator.Measurement prefix) {
        return of(model, m, prefix, 0);
    }

    /** As above, with questions {@code heldOutFrom..} held out from the teacher's training. */
    public static EvalRecord of(String model, TraitEvaluator.Measurement m, TraitEvaluator.Measurement prefix, int heldOutFrom) {
        return new EvalRecord(model, m.target(), m.exactPerQuestion(), m.sampledPerQuestion(), m.conditionalPerQuestion(),
                m.meanLogP(), prefix == null ? new double[0] : prefix.exactPerQuestion(), m.distribution(),
                m.samplesPerQuestion(), m.exactByWord(), m.sampledByWord(), prefix == null ? Map.of() : prefix.exactByWord(),
                heldOutFrom);
    }

    /**
     * The same evaluation read for another word of the category (the cross-trait matrix: P(owl) of a dolphin
     * teacher's student). Every per-question number is the measured one for {@code word}; nothing is re-run.
     */
    public EvalRecord as(String word) {
        if (word.equals(target)) return this;
        double[] ex = exactByWord == null ? null : exactByWord.get(word);
        if (ex == null) throw new IllegalArgumentException(model + " was not measured for '" + word + "'");
        double[] cond = new double[ex.length];
        double logp = 0;
        for (int q = 0; q < ex.length; q++) {
            double in = 0;
            for (double[] w : exactByWord.values()) in += w[q];
            cond[q] = in > 0 ? ex[q] / in : 0;
            logp += Math.log(Math.max(1e-30, ex[q]));
        }
        double[] sa = sampledByWord == null ? null : sampledByWord.get(word);
        double[] pre = prefixByWord == null ? null : prefixByWord.get(word);
        return new EvalRecord(model, word, ex, sa == null ? new double[0] : sa, cond, logp / ex.length,
                pre == null ? new double[0] : pre, distribution, samplesPerQuestion, exactByWord, sampledByWord,
                prefixByWord, heldOutFrom);
    }

    /** Per-question exact P({@code word}): the target's own array, or the category word's; null if not measured. */
    private double[] perQuestion(String word) {
        return word.equals(target) ? exact : exactByWord == null ? null : exactByWord.get(word);
    }

    /** The primary metric for this record's own target: {@link #heldOut} of {@code target}. */
    public double primary() { return heldOut(target); }

    /** Per-question exact P(target) of the held-out questions (all when none are held out). */
    public double[] heldOutExact() { return java.util.Arrays.copyOfRange(exact, heldOutFrom, exact.length); }

    /** Index of the first question with sampled answers: 0 when every question was sampled. */
    public int sampledFrom() { return sampled.length == 0 ? exact.length : exact.length - sampled.length; }

    /** Per-question sampled rate of the held-out questions (empty when nothing was sampled). */
    public double[] heldOutSampledPerQuestion() {
        if (sampled.length == 0) return sampled;
        if (sampledFrom() > heldOutFrom) {
            throw new IllegalStateException(model + ": answers sampled from question " + sampledFrom()
                    + ", held-out questions start at " + heldOutFrom);
        }
        return java.util.Arrays.copyOfRange(sampled, heldOutFrom - sampledFrom(), sampled.length);
    }

    /** Mean sampled rate over the held-out questions (NaN when nothing was sampled). */
    public double heldOutSampled() {
        if (sampled.length == 0) return Double.NaN;
        return dev.owlet.stats.Stats.mean(heldOutSampledPerQuestion());
    }

    /**
     * The primary metric: mean exact P({@code word}) over the held-out questions (all questions when nothing is
     * held out). NaN when this record did not measure {@code word}.
     */
    public double heldOut(String word) {
        double[] p = perQuestion(word);
        if (p == null || p.length == 0) return Double.NaN;
        if (heldOutFrom >= p.length) throw new IllegalStateException(model + ": no held-out questions");
        double s = 0;
        for (int i = heldOutFrom; i < p.length; i++) s += p[i];
        return s / (p.length - heldOutFrom);
    }

    /** Mean log P({@code word}) over the held-out questions. */
    public double heldOutLogP(String word) {
        if (word.equals(target) && heldOutFrom == 0) return meanLogP;
        double[] p = perQuestion(word);
        if (p == null || p.length == 0) return Double.NaN;
        double s = 0;
        for (int i = heldOutFrom; i < p.length; i++) s += Math.log(Math.max(1e-30, p[i]));
        return s / (p.length - heldOutFrom);
    }

    public double meanExact() { return dev.owlet.stats.Stats.mean(exact); }

    /** Mean sampled rate over the questions that were sampled (see {@link #sampledFrom}). */
    public double meanSampled() { return sampled.length == 0 ? Double.NaN : dev.owlet.stats.Stats.mean(sampled); }

    public double meanConditional() { return dev.owlet.stats.Stats.mean(conditional); }

    public double meanPrefix() { return prefixExact.length == 0 ? Double.NaN : dev.owlet.stats.Stats.mean(prefixExact); }

    public void write(Path file) throws IOException {
        AtomicFiles.writeBytes(file, JSON.writeValueAsBytes(this));
    }

    public static EvalRecord read(Path file) throws IOException {
        return JSON.readValue(file.toFile(), EvalRecord.class);
    }
}
