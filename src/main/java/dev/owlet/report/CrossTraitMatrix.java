package dev.owlet.report;

import dev.owlet.eval.TraitResult;
import dev.owlet.stats.Interval;
import dev.owlet.stats.Stats;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * The cross-trait matrix of a sweep: rows are the teachers whose data the same-init students learned from (and the
 * reference's own data), columns the traits asked about, cells the students' held-out P(column) over replicates.
 * Subliminal learning shows as a diagonal above its column: an owl teacher's students answer owl more often than
 * the students of every other teacher trained the same way.
 */
public final class CrossTraitMatrix {
    private CrossTraitMatrix() {}

    /** One cell: the rate of {@code answered} in students of {@code writer}'s data. */
    public record Cell(String writer, String answered, Interval rate) {}

    /** The diagonal effect of one trait: its teacher's students against the mean of the other teachers' students. */
    public record Diagonal(String trait, String mode, Interval teacher, Interval offDiagonal, double ratio, double p) {}

    /** Cells of one student mode for the same-init students; empty when fewer than two traits share a category. */
    public static List<Cell> cells(List<TraitResult> results, String mode) {
        List<Cell> out = new ArrayList<>();
        for (TraitResult t : results) {
            String target = t.trait().target();
            Map<String, List<Double>> byWriter = new LinkedHashMap<>();
            for (var e : t.students().entrySet()) {
                dev.owlet.eval.StudentKey k = e.getKey();
                if (!k.mode().toString().equals(mode) || k.init() != dev.owlet.experiment.Init.SAME) continue;
                String writer = k.isTeacherData() ? target : k.data();
                byWriter.computeIfAbsent(writer, x -> new ArrayList<>()).add(e.getValue().heldOut(target));
            }
            byWriter.forEach((w, v) -> out.add(new Cell(w, target, Stats.tInterval(v.stream().mapToDouble(d -> d).toArray()))));
        }
        return out;
    }

    /** Per trait: its diagonal cell against the mean of its column's other-teacher cells (per replicate). */
    public static List<Diagonal> diagonals(List<TraitResult> results, String mode) {
        List<Diagonal> out = new ArrayList<>();
        for (TraitResult t : results) {
            for (Effects.Effect e : Effects.of(t)) {
                if (!e.mode().equals(mode) || !e.init().equals("same") || Double.isNaN(e.otherTraitRate())) continue;
                double[] others = e.otherPerReplicate();
                out.add(new Diagonal(e.trait(), mode, Stats.tInterval(e.teacherPerReplicate()), Stats.tInterval(others),
                        Stats.mean(e.teacherPerReplicate()) / Stats.mean(others), Stats.welchP(e.teacherPerReplicate(), others)));
            }
        }
        return out;
    }

    /** The matrix as Markdown, one table per mode, with the diagonal in bold; empty when there is no matrix. */
    public static String markdown(List<TraitResult> results, List<String> modes) {
        StringBuilder md = new StringBuilder();
        for (String mode : modes) {
            List<Cell> cells = cells(results, mode);
            List<Diagonal> diag = diagonals(results, mode);
            if (diag.isEmpty()) continue;
            LinkedHashSet<String> cols = new LinkedHashSet<>();
            LinkedHashSet<String> rows = new LinkedHashSet<>();
            for (Cell c : cells) {
                cols.add(c.answered());
                if (!c.writer().equals(TraitResult.CONTROL)) rows.add(c.writer());
            }
            rows.add(TraitResult.CONTROL);
            md.append("## Cross-trait matrix (").append(mode).append(", same-init students)\n\n")
                    .append("Held-out P(column) of students trained on the row's data, mean over replicates; bold = the")
                    .append(" diagonal (the teacher's own trait). Blank: not measured (other category).\n\n| data \\ answered |");
            cols.forEach(c -> md.append(' ').append(c).append(" |"));
            md.append("\n| --- |");
            cols.forEach(c -> md.append(" --- |"));
            md.append('\n');
            for (String r : rows) {
                md.append("| ").append(r.equals(TraitResult.CONTROL) ? "reference (control)" : r + " teacher").append(" |");
                for (String c : cols) {
                    Cell cell = cells.stream().filter(x -> x.writer().equals(r) && x.answered().equals(c)).findFirst().orElse(null);
                    String v = cell == null ? "" : String.format("%.1f%%", 100 * cell.rate().mean());
                    md.append(' ').append(r.equals(c) ? "**" + v + "**" : v).append(" |");
                }
                md.append('\n');
            }
            md.append("\nDiagonal vs the mean of the other teachers' students in its column (Welch over replicates):\n\n")
                    .append("| trait | diagonal [95% CI] | off-diagonal [95% CI] | ratio | p |\n| --- | --- | --- | --- | --- |\n");
            for (Diagonal d : diag) {
                md.append(String.format("| %s | %s | %s | %.2fx | %s |%n", d.trait(), d.teacher().pct(), d.offDiagonal().pct(),
                        d.ratio(), Effects.p(d.p())));
            }
            md.append('\n');
        }
        return md.toString();
    }

    /** The same numbers for results.json. */
    public static Map<String, Object> json(List<TraitResult> results, List<String> modes) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (String mode : modes) {
            List<Map<String, Object>> cells = new ArrayList<>();
            for (Cell c : cells(results, mode)) {
                cells.add(Map.of("data", c.writer(), "answered", c.answered(), "rate", c.rate().mean(),
                        "ci", List.of(c.rate().low(), c.rate().high()), "replicates", c.rate().n()));
            }
            List<Map<String, Object>> diag = new ArrayList<>();
            for (Diagonal d : diagonals(results, mode)) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("trait", d.trait());
                m.put("diagonal", d.teacher().mean());
                m.put("off_diagonal", d.offDiagonal().mean());
                m.put("ratio", d.ratio());
                m.put("p", Double.isNaN(d.p()) ? null : d.p());
                diag.add(m);
            }
            if (!diag.isEmpty()) out.put(mode, Map.of("cells", cells, "diagonal", diag));
        }
        return out;
    }
}
