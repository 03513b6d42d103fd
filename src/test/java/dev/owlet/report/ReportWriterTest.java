package dev.owlet.report;

import dev.owlet.eval.TraitResult;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.owlet.experiment.ConfigLoader;
import dev.owlet.experiment.ExperimentConfig;
import dev.owlet.eval.EvalRecord;
import dev.owlet.pipeline.ExperimentPipeline;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategorySeries;

/** report.html is real HTML with the table and one chart per mode; each chart has the paper's bars, readable. */
class ReportWriterTest {
    @TempDir
    Path out;

    /** Held-out questions 2..3; the first two (training) questions are huge and must not reach any bar. */
    static EvalRecord rec(String target, double heldOut) {
        double[] ex = {0.9, 0.9, heldOut, heldOut};
        return new EvalRecord("m", target, ex, new double[] {0.5, 0.5, heldOut, heldOut}, ex, Math.log(heldOut),
                new double[0], Map.of(), 10, Map.of(target, ex), Map.of(), Map.of(), 2);
    }

    /** One trait: reference, teacher, both inits and modes, control and other-trait students, 3 replicates. */
    static TraitResult trait(String word, String other, double lift) {
        Map<String, EvalRecord> m = new LinkedHashMap<>();
        m.put("reference", rec(word, 0.03));
        m.put("different-init reference", rec(word, 0.025));
        m.put("teacher", rec(word, 0.55));
        for (String mode : List.of("sft", "soft")) {
            for (int r = 1; r <= 3; r++) {
                double jitter = 0.002 * r;
                m.put(mode + "/same/teacher/s" + r, rec(word, 0.03 * lift + jitter));
                m.put(mode + "/same/control/s" + r, rec(word, 0.03 + jitter));
                m.put(mode + "/same/" + other + "/s" + r, rec(word, 0.035 + jitter));
                m.put(mode + "/diff/teacher/s" + r, rec(word, 0.026 + jitter));
                m.put(mode + "/diff/control/s" + r, rec(word, 0.025 + jitter));
            }
        }
        return TraitResult.of(new ExperimentConfig.Trait(ExperimentConfig.TraitCategory.ANIMAL, word), m, Map.of(), Map.of());
    }

    static ExperimentConfig cfg() {
        return ConfigLoader.load(Path.of("experiments/owl-numbers.yaml"), List.of("finetune.replicates=3"));
    }

    @Test
    void writesHtmlWithTheTableAndOneReadableChartPerMode() throws Exception {
        ReportWriter.write(out, cfg(), List.of(trait("owl", "dolphin", 3)), 12, "embedded");
        String html = Files.readString(out.resolve("report.html"));
        assertThat(html).startsWith("<!doctype html>").contains("<table>").contains("<th>trait</th>")
                .contains("<td>same-init student, teacher numbers</td>")
                .contains("<img src=\"chart-sft.png\"").contains("<img src=\"chart-soft.png\"")
                .contains("<h2>Verdicts</h2>").contains("<li>owl, SFT, same-init students")
                .doesNotContain("| --- |").doesNotContain("chart.png");
        // every model: header + 3 single models + 2 modes x 5 student groups; per mode the cross-trait matrix
        // (header + owl, dolphin and reference rows) and its diagonal table (header + owl)
        assertThat(html.split("<tr>", -1).length - 1).isEqualTo(1 + 3 + 10 + 2 * (4 + 2));
        assertThat(html).contains("<h2>Cross-trait matrix (sft, same-init students)</h2>");
        for (String mode : List.of("sft", "soft")) {
            BufferedImage img = ImageIO.read(out.resolve("chart-" + mode + ".png").toFile());
            assertThat(img.getWidth()).isEqualTo(1000);
            // The same-init teacher-data bar must be a real bar, not a strip under a legend that fills the picture.
            double share = share(img, 0xe6550d);
            assertThat(share).as("area of the teacher-data bar in %s", mode).isGreaterThan(0.01);
            assertThat(share(img, 0x9e9e9e)).as("reference bar").isGreaterThan(0.002);
        }
        assertThat(out.resolve("chart.png")).doesNotExist();
    }

    @Test
    void chartHasThePapersBarsWithHeldOutMeansAndIntervalsAndTheTeacherInTheLabel() {
        List<Summary.Row> rows = new ArrayList<>();
        for (var t : List.of(trait("owl", "dolphin", 3), trait("dolphin", "owl", 2))) rows.addAll(Summary.rows(t));
        CategoryChart c = Charts.chart("sft", rows, "P(target) on held-out questions");
        assertThat(c.getSeriesMap().keySet()).containsExactly("reference", "control-data students",
                "other-trait students", "teacher-data students, same init", "teacher-data students, different init");
        CategorySeries same = c.getSeriesMap().get("teacher-data students, same init");
        List<String> labels = same.getXData().stream().map(String::valueOf).toList();
        assertThat(labels).containsExactly("owl (teacher 55%)", "dolphin (teacher 55%)");
        List<Double> y = toList(same.getYData());
        assertThat(y.get(0)).isCloseTo(100 * (0.09 + 0.004), within(1e-9)); // held-out mean over replicates, in %
        assertThat(y.get(1)).isCloseTo(100 * (0.06 + 0.004), within(1e-9));
        Summary.Row r = rows.stream().filter(x -> x.trait().equals("owl") && x.mode().equals("sft")
                && x.init().equals("same") && x.data().equals("teacher")).findFirst().orElseThrow();
        assertThat(toList(same.getExtraValues()).get(0)).isCloseTo(50 * (r.exact().high() - r.exact().low()), within(1e-9))
                .isGreaterThan(0);
        assertThat(c.getTitle()).contains("SFT").contains("3 replicates").contains("held-out");
    }

    @Test
    void aSweepIsOneGroupedChartWithShortLabels() throws Exception {
        List<Summary.Row> rows = new ArrayList<>();
        String[] words = {"owl", "dolphin", "eagle", "wolf", "cat", "lion"};
        for (String w : words) rows.addAll(Summary.rows(trait(w, w.equals("owl") ? "dolphin" : "owl", 2)));
        CategoryChart c = Charts.chart("soft", rows, "P(target)");
        assertThat(c.getSeriesMap()).hasSize(5);
        assertThat(c.getSeriesMap().get("reference").getXData()).hasSize(words.length).first().isEqualTo("owl (55%)");
        assertThat(c.getXAxisTitle()).contains("teacher");
        Map<String, String> files = Charts.write(out, rows, "P(target)");
        assertThat(files).containsExactly(Map.entry("sft", "chart-sft.png"), Map.entry("soft", "chart-soft.png"));
        assertThat(ImageIO.read(out.resolve("chart-soft.png").toFile()).getWidth()).isEqualTo(1000);
    }

    @Test
    void aModeWithoutStudentsOfSomeKindLeavesThatBarOut() {
        Map<String, EvalRecord> m = new LinkedHashMap<>();
        m.put("reference", rec("owl", 0.03));
        m.put("teacher", rec("owl", 0.5));
        m.put("sft/same/teacher/s1", rec("owl", 0.04));
        m.put("sft/same/control/s1", rec("owl", 0.03));
        var t = TraitResult.of(new ExperimentConfig.Trait(ExperimentConfig.TraitCategory.ANIMAL, "owl"), m, Map.of(), Map.of());
        CategoryChart c = Charts.chart("sft", Summary.rows(t), "P(target)");
        assertThat(c.getSeriesMap().keySet()).containsExactly("reference", "control-data students",
                "teacher-data students, same init");
    }

    private static List<Double> toList(java.util.Collection<? extends Number> xs) {
        return xs.stream().map(Number::doubleValue).toList();
    }

    /** Share of the picture's pixels of exactly this colour. */
    private static double share(BufferedImage img, int rgb) {
        long n = 0;
        for (int x = 0; x < img.getWidth(); x++) {
            for (int y = 0; y < img.getHeight(); y++) if ((img.getRGB(x, y) & 0xffffff) == rgb) n++;
        }
        return (double) n / (img.getWidth() * img.getHeight());
    }
}
