package dev.owlet.report;

import dev.owlet.stats.Interval;
import dev.owlet.stats.Stats;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.CategorySeries;
import org.knowm.xchart.style.CategoryStyler;
import org.knowm.xchart.style.Styler;

/**
 * The chart the paper draws, one per student mode ({@code chart-sft.png}, {@code chart-soft.png}): for each trait a
 * group of bars — the reference, the two controls (students of the reference's data, students of other-trait
 * teachers), and the teacher-data students of the same and of a different initialization — with 95% error bars,
 * all on the primary metric (exact P(target) on held-out questions). A sweep is one grouped chart per mode.
 *
 * <p>The teacher sits far above its students (it was trained on the trait), so its bar would flatten the rest:
 * its rate is written beside the trait's name instead.
 */
public final class Charts {
    private Charts() {}

    /** A bar of the chart: its legend name, its colour, and which rows of one trait and mode it stands for. */
    private record Bar(String name, Color color, Predicate<Summary.Row> rows) {}

    private static final List<Bar> BARS = List.of(
            new Bar("reference", new Color(0x9e9e9e), r -> r.model().equals("reference")),
            new Bar("control-data students", new Color(0x80b1d3), r -> r.init().equals("same") && r.data().equals("control")),
            new Bar("other-trait students", new Color(0xbebada), r -> r.init().equals("same") && isOtherTrait(r)),
            new Bar("teacher-data students, same init", new Color(0xe6550d), r -> r.init().equals("same") && r.data().equals("teacher")),
            new Bar("teacher-data students, different init", new Color(0xfdae6b), r -> r.init().equals("diff") && r.data().equals("teacher")));

    /**
     * Writes one chart per student mode into {@code out}; returns the file names, by mode, in the rows' order.
     * {@code measure} names the primary metric in the title, e.g. "P(target) on held-out questions".
     */
    public static Map<String, String> write(Path out, List<Summary.Row> rows, String measure) throws IOException {
        Map<String, String> files = new LinkedHashMap<>();
        for (String mode : rows.stream().map(Summary.Row::mode).filter(m -> !m.equals("-")).distinct().toList()) {
            CategoryChart c = chart(mode, rows, measure);
            String name = "chart-" + mode;
            BitmapEncoder.saveBitmap(c, out.resolve(name).toString(), BitmapEncoder.BitmapFormat.PNG);
            files.put(mode, name + ".png");
        }
        return files;
    }

    /** The chart of one student mode, with every trait of {@code rows} as a group of bars. */
    static CategoryChart chart(String mode, List<Summary.Row> rows, String measure) {
        List<String> traits = rows.stream().map(Summary.Row::trait).distinct().toList();
        int replicates = rows.stream().filter(r -> r.mode().equals(mode)).mapToInt(Summary.Row::seeds).max().orElse(1);
        CategoryChart c = new CategoryChartBuilder().width(1000).height(traits.size() > 1 ? 520 : 480)
                .title(String.format("%s students: %s (%d replicate%s, 95%% CI)",
                        mode.toUpperCase(Locale.ROOT), measure, replicates, replicates == 1 ? "" : "s"))
                .yAxisTitle(measure.split(" ")[0] + ", %").build();
        style(c, traits.size());
        // A few traits name the teacher in each label; a sweep's labels would collide, so its axis title says it.
        boolean sweep = traits.size() > 3;
        List<String> categories = new ArrayList<>();
        for (String t : traits) {
            Summary.Row teacher = find(rows, t, "-", r -> r.model().equals("teacher"));
            categories.add(teacher == null ? t
                    : String.format(sweep ? "%s (%.0f%%)" : "%s (teacher %.0f%%)", t, 100 * teacher.exact().mean()));
        }
        if (sweep) c.setXAxisTitle("trait (its teacher's own rate, off this scale)");
        if (traits.size() > 8) c.getStyler().setXAxisLabelRotation(30);
        double top = 0;
        for (Bar bar : BARS) {
            List<Double> y = new ArrayList<>();
            List<Double> err = new ArrayList<>();
            boolean any = false;
            for (String t : traits) {
                Interval iv = interval(rows, t, bar.name().equals("reference") ? "-" : mode, bar.rows());
                any |= iv != null;
                y.add(iv == null ? null : 100 * iv.mean());
                err.add(iv == null ? null : 100 * Math.max(0, (iv.high() - iv.low()) / 2));
                if (iv != null) top = Math.max(top, 100 * iv.high());
            }
            if (!any) continue;
            CategorySeries s = c.addSeries(bar.name(), categories, y, err);
            s.setFillColor(bar.color());
        }
        c.getStyler().setYAxisMin(0.0);
        c.getStyler().setYAxisMax(niceTop(top * 1.15));
        return c;
    }

    private static void style(CategoryChart c, int categories) {
        CategoryStyler s = c.getStyler();
        s.setChartBackgroundColor(Color.WHITE);
        s.setPlotBackgroundColor(Color.WHITE);
        s.setPlotBorderVisible(false);
        s.setPlotGridVerticalLinesVisible(false);
        s.setPlotGridLinesColor(new Color(0xe0e0e0));
        s.setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 17));
        s.setChartTitleBoxVisible(false);
        s.setAxisTitleFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
        s.setAxisTickLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
        // A compact legend in one row under the plot: the bars keep the picture.
        s.setLegendPosition(Styler.LegendPosition.OutsideS);
        s.setLegendLayout(Styler.LegendLayout.Horizontal);
        s.setLegendFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        s.setLegendBorderColor(Color.WHITE);
        s.setLegendPadding(4);
        s.setErrorBarsColor(new Color(0x333333));
        s.setAvailableSpaceFill(categories > 1 ? 0.8 : 0.6);
        s.setOverlapped(false);
        // Values on the bars while there are few of them (a sweep has too many), low in the bar: clear of the
        // error bar's whisker at the top.
        s.setLabelsVisible(categories <= 4);
        s.setLabelsPosition(0.1);
        s.setLabelsFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
        s.setLabelsFontColorAutomaticEnabled(true);
        s.setYAxisDecimalPattern("0.#");
    }

    /** The bar's interval for one trait: one group's, or for the other-trait bar the mean over those teachers. */
    private static Interval interval(List<Summary.Row> rows, String trait, String mode, Predicate<Summary.Row> which) {
        List<Summary.Row> hit = rows.stream().filter(r -> r.trait().equals(trait) && r.mode().equals(mode) && which.test(r)).toList();
        if (hit.isEmpty()) return null;
        if (hit.size() == 1) return hit.get(0).exact();
        // Several other-trait teachers: per replicate, the mean over them (as the verdicts compare against).
        int n = hit.stream().mapToInt(r -> r.perSeedExact().length).min().orElse(0);
        double[] mean = new double[n];
        for (Summary.Row r : hit) for (int i = 0; i < n; i++) mean[i] += r.perSeedExact()[i] / hit.size();
        return Stats.tInterval(mean);
    }

    private static Summary.Row find(List<Summary.Row> rows, String trait, String mode, Predicate<Summary.Row> which) {
        return rows.stream().filter(r -> r.trait().equals(trait) && r.mode().equals(mode) && which.test(r)).findFirst().orElse(null);
    }

    private static boolean isOtherTrait(Summary.Row r) {
        return !r.mode().equals("-") && !r.data().equals("teacher") && !r.data().equals("control");
    }

    /** The first round number (1, 1.5, 2, ..., 8 times a power of ten) at or above {@code x}: an axis end read at a glance. */
    static double niceTop(double x) {
        if (!(x > 0)) return 1;
        double p = Math.pow(10, Math.floor(Math.log10(x)));
        for (double m : new double[] {1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10}) if (m * p >= x) return m * p;
        return 10 * p;
    }

    /**
     * A ROC curve: false-positive rate against true-positive rate, with the chance diagonal, titled with its AUROC.
     *
     * @param points (fpr, tpr) from the strictest threshold to the loosest
     */
    public static void roc(Path file, List<double[]> points, String title) throws IOException {
        org.knowm.xchart.XYChart chart = new org.knowm.xchart.XYChartBuilder().width(640).height(560).title(title)
                .xAxisTitle("false-positive rate").yAxisTitle("true-positive rate").build();
        org.knowm.xchart.style.XYStyler st = chart.getStyler();
        st.setLegendPosition(Styler.LegendPosition.InsideSE);
        st.setChartBackgroundColor(Color.WHITE);
        st.setXAxisMin(0.0);
        st.setXAxisMax(1.0);
        st.setYAxisMin(0.0);
        st.setYAxisMax(1.0);
        st.setMarkerSize(6);
        st.setXAxisDecimalPattern("0.0");
        st.setYAxisDecimalPattern("0.0");
        double[] x = points.stream().mapToDouble(p -> p[0]).toArray();
        double[] y = points.stream().mapToDouble(p -> p[1]).toArray();
        org.knowm.xchart.XYSeries screen = chart.addSeries("screen", x, y);
        screen.setLineColor(new Color(0xE6, 0x55, 0x0D));
        screen.setMarkerColor(new Color(0xE6, 0x55, 0x0D));
        org.knowm.xchart.XYSeries chance = chart.addSeries("chance", new double[] {0, 1}, new double[] {0, 1});
        chance.setLineColor(Color.GRAY);
        chance.setMarker(org.knowm.xchart.style.markers.SeriesMarkers.NONE);
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
    }
}
