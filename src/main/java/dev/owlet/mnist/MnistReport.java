package dev.owlet.mnist;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.owlet.provenance.AtomicFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;

/**
 * Renders MNIST runs: {@code results.json} (summaries and every per-member number, the record reports are made
 * from), {@code report.md} (the table), {@code mnist.png} (accuracy by role, start vs trained, with std error
 * bars), {@code mnist-epochs.png} (accuracy per distillation epoch) and, for a sweep over m,
 * {@code mnist-sweep.png}. All files are written atomically.
 */
public final class MnistReport {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private MnistReport() {}

    /** A short name for a run, e.g. {@code m=3 kl}. */
    public static String label(MnistConfig c) {
        return "m=" + c.auxLogits() + " " + c.loss().name().toLowerCase();
    }

    /** The Markdown table, one row per run; accuracies are mean ± std over ensemble members. */
    public static String table(List<MnistResult> runs) {
        StringBuilder sb = new StringBuilder();
        sb.append("| run | pairs | untrained (reference) | teacher | same-init student | gain over own start "
                + "| different-init student | gain over own start | regular-logit student (upper bound) |\n");
        sb.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        for (MnistResult r : runs) {
            sb.append("| ").append(label(r.config())).append(" | ").append(r.config().members())
                    .append(" | ").append(MnistResult.Stat.of(r.teacherStart()))
                    .append(" | ").append(MnistResult.Stat.of(r.teacher()))
                    .append(" | ").append(MnistResult.Stat.of(r.sameInit()))
                    .append(" | ").append(signed(MnistResult.Stat.of(r.sameInitGain())))
                    .append(" | ").append(MnistResult.Stat.of(r.diffInit()))
                    .append(" | ").append(signed(MnistResult.Stat.of(r.diffInitGain())))
                    .append(" | ").append(MnistResult.Stat.of(r.regular())).append(" |\n");
        }
        return sb.toString();
    }

    /** Accuracy (mean ± std) after each distillation epoch of one run (the epochs sweep). */
    public static String epochTable(MnistResult r) {
        StringBuilder sb = new StringBuilder("| distill epoch | same-init | different-init | regular-logits |\n"
                + "| ---: | ---: | ---: | ---: |\n");
        sb.append("| 0 | ").append(MnistResult.Stat.of(r.teacherStart())).append(" | ")
                .append(MnistResult.Stat.of(r.diffInitStart())).append(" | ")
                .append(MnistResult.Stat.of(r.teacherStart())).append(" |\n");
        for (int i = 0; i < r.sameInitCurve().size(); i++) {
            sb.append("| ").append(i + 1).append(" | ").append(MnistResult.Stat.of(r.sameInitCurve().get(i)))
                    .append(" | ").append(MnistResult.Stat.of(r.diffInitCurve().get(i)))
                    .append(" | ").append(MnistResult.Stat.of(r.regularCurve().get(i))).append(" |\n");
        }
        return sb.toString();
    }

    private static String signed(MnistResult.Stat s) {
        return "%+.1f pp ± %.1f".formatted(100 * s.mean(), 100 * s.std());
    }

    /**
     * Writes every artifact of the runs into {@code dir}; {@code manifest} goes to manifest.json. The per-role
     * chart and the per-epoch table and chart show {@code runs.get(main)} (in a sweep, the run with the requested m).
     */
    public static void write(Path dir, List<MnistResult> runs, int main, Map<String, Object> manifest)
            throws IOException {
        AtomicFiles.writeString(dir.resolve("results.json"), JSON.writeValueAsString(results(runs)));
        AtomicFiles.writeString(dir.resolve("report.md"), markdown(runs, runs.get(main)));
        AtomicFiles.writeBytes(dir.resolve("mnist.png"), png(rolesChart(runs.get(main))));
        AtomicFiles.writeBytes(dir.resolve("mnist-epochs.png"), png(epochsChart(runs.get(main))));
        if (runs.size() > 1) {
            AtomicFiles.writeBytes(dir.resolve("mnist-sweep.png"), png(sweepChart(runs)));
        }
        AtomicFiles.writeString(dir.resolve("manifest.json"), JSON.writeValueAsString(manifest));
    }

    static Map<String, Object> results(List<MnistResult> runs) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (MnistResult r : runs) {
            Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("untrained_reference", MnistResult.Stat.of(r.teacherStart()));
            summary.put("teacher", MnistResult.Stat.of(r.teacher()));
            summary.put("same_init_student", MnistResult.Stat.of(r.sameInit()));
            summary.put("same_init_gain", MnistResult.Stat.of(r.sameInitGain()));
            summary.put("different_init_untrained", MnistResult.Stat.of(r.diffInitStart()));
            summary.put("different_init_student", MnistResult.Stat.of(r.diffInit()));
            summary.put("different_init_gain", MnistResult.Stat.of(r.diffInitGain()));
            summary.put("regular_logit_student", MnistResult.Stat.of(r.regular()));
            Map<String, Object> run = new LinkedHashMap<>();
            run.put("label", label(r.config()));
            run.put("summary", summary);
            run.put("detail", r);
            out.add(run);
        }
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("schema", "owlet.mnist.results/1");
        root.put("metric", "test accuracy, mean and sample std over ensemble members");
        root.put("runs", out);
        return root;
    }

    static String markdown(List<MnistResult> runs, MnistResult main) {
        MnistConfig c = main.config();
        return "# MNIST subliminal learning (auxiliary logits)\n\n"
                + "Students see only uniform noise in [-1, 1] and match only the teacher's auxiliary logits. "
                + "Test accuracy, mean ± std over %d teacher/student pairs; gains are per member over each "
                .formatted(c.members())
                + "model's own untrained start.\n\n" + table(runs) + "\n## Accuracy per distillation epoch ("
                + label(c) + ")\n\n" + epochTable(main) + "\n"
                + "Config: lr %s, batch %d, teacher epochs %d, distill epochs %d, noise images %d, seed %d.\n"
                .formatted(c.lr(), c.batchSize(), c.teacherEpochs(), c.distillEpochs(), c.noiseImages(), c.seed());
    }

    static CategoryChart rolesChart(MnistResult r) {
        CategoryChart chart = new CategoryChartBuilder().width(900).height(520)
                .title("Subliminal learning on MNIST-format data (" + label(r.config()) + ", " + r.config().members()
                        + " pairs)").xAxisTitle("model").yAxisTitle("test accuracy (%)").build();
        List<String> roles = List.of("teacher", "same-init student", "different-init student", "regular-logit student");
        List<double[]> starts = List.of(r.teacherStart(), r.teacherStart(), r.diffInitStart(), r.teacherStart());
        List<double[]> ends = List.of(r.teacher(), r.sameInit(), r.diffInit(), r.regular());
        chart.addSeries("untrained start", roles, means(starts), stds(starts));
        chart.addSeries("after training", roles, means(ends), stds(ends));
        chart.getStyler().setYAxisMin(0.0).setYAxisMax(100.0);
        chart.getStyler().setErrorBarsColor(java.awt.Color.BLACK);
        return chart;
    }

    static XYChart epochsChart(MnistResult r) {
        XYChart chart = new XYChartBuilder().width(900).height(520).title("Accuracy per distillation epoch ("
                + label(r.config()) + ")").xAxisTitle("distillation epoch").yAxisTitle("test accuracy (%)").build();
        int n = r.sameInitCurve().size();
        List<Number> xs = new ArrayList<>();
        for (int i = 0; i <= n; i++) {
            xs.add(i);
        }
        chart.addSeries("same-init", xs, curve(r.teacherStart(), r.sameInitCurve()));
        chart.addSeries("different-init", xs, curve(r.diffInitStart(), r.diffInitCurve()));
        chart.addSeries("regular-logits", xs, curve(r.teacherStart(), r.regularCurve()));
        chart.getStyler().setYAxisMin(0.0).setYAxisMax(100.0);
        return chart;
    }

    static CategoryChart sweepChart(List<MnistResult> runs) {
        CategoryChart chart = new CategoryChartBuilder().width(900).height(520)
                .title("Student gain over its own untrained start, by number of auxiliary logits")
                .xAxisTitle("run").yAxisTitle("accuracy gain (percentage points)").build();
        List<String> labels = runs.stream().map(r -> label(r.config())).toList();
        chart.addSeries("same-init", labels, means(runs.stream().map(MnistResult::sameInitGain).toList()),
                stds(runs.stream().map(MnistResult::sameInitGain).toList()));
        chart.addSeries("different-init", labels, means(runs.stream().map(MnistResult::diffInitGain).toList()),
                stds(runs.stream().map(MnistResult::diffInitGain).toList()));
        return chart;
    }

    private static List<Number> curve(double[] start, List<double[]> points) {
        List<Number> ys = new ArrayList<>();
        ys.add(100 * MnistResult.Stat.of(start).mean());
        points.forEach(p -> ys.add(100 * MnistResult.Stat.of(p).mean()));
        return ys;
    }

    private static List<Number> means(List<double[]> xs) {
        return xs.stream().map(x -> (Number) (100 * MnistResult.Stat.of(x).mean())).toList();
    }

    private static List<Number> stds(List<double[]> xs) {
        return xs.stream().map(x -> (Number) (100 * MnistResult.Stat.of(x).std())).toList();
    }

    private static byte[] png(org.knowm.xchart.internal.chartpart.Chart<?, ?> chart) throws IOException {
        return BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
    }
}
