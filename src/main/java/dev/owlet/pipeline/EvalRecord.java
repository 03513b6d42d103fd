package dev.owlet.pipeline;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.owlet.eval.TraitEvaluator;
import dev.owlet.provenance.AtomicFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * One model's evaluation as stored in its stage folder: per-question exact probabilities and sampled rates
 * (plain and number-prefixed questions), so reports can be re-rendered and re-tested without re-running models.
 */
public record EvalRecord(String model, String target, double[] exact, double[] sampled, double[] conditional,
                         double meanLogP, double[] prefixExact, Map<String, Double> distribution, int samplesPerQuestion) {
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public static EvalRecord of(String model, TraitEvaluator.Measurement m, TraitEvaluator.Measurement prefix) {
        return new EvalRecord(model, m.target(), m.exactPerQuestion(), m.sampledPerQuestion(), m.conditionalPerQuestion(),
                m.meanLogP(), prefix == null ? new double[0] : prefix.exactPerQuestion(), m.distribution(),
                m.samplesPerQuestion());
    }

    public double meanExact() { return dev.owlet.stats.Stats.mean(exact); }

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
