package dev.owlet.report;

import dev.owlet.eval.TraitResult;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.owlet.experiment.ConfigLoader;
import dev.owlet.experiment.ExperimentConfig;
import dev.owlet.eval.EvalRecord;
import dev.owlet.pipeline.ExperimentPipeline;
import dev.owlet.world.Category;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Renders a finished flagship run's report again from its stage folders, without loading a model: for looking at
 * report changes on a real run ({@code java -cp ... dev.owlet.report.Rerender RUN}). Writes into RUN.
 */
public final class Rerender {
    private static final Pattern STUDENT = Pattern.compile("student-(.+)-(sft|soft)-(same|diff)-r(\\d+)");

    @SuppressWarnings("unchecked")
    public static void main(String[] args) throws IOException {
        Path run = Path.of(args[0]);
        Map<String, Object> json = new ObjectMapper().readValue(run.resolve("results.json").toFile(), Map.class);
        Path yaml = Files.createTempFile("owlet-rerender", ".yaml");
        Map<String, Object> config = new LinkedHashMap<>((Map<String, Object>) json.get("config"));
        config.remove("flagship"); // derived, not keys
        config.put("traits", ((List<Map<String, Object>>) config.get("traits")).stream()
                .map(t -> Map.of("category", t.get("category"), "target", t.get("target"))).toList());
        ConfigLoader.YAML.writeValue(yaml.toFile(), config);
        ExperimentConfig cfg = ConfigLoader.load(yaml, List.of());
        Files.delete(yaml);
        List<TraitResult> results = new ArrayList<>();
        for (ExperimentConfig.Trait t : cfg.traits()) results.add(trait(run.resolve("stages"), t));
        double wall = ((Number) json.get("wall_seconds")).doubleValue();
        System.out.println(ReportWriter.write(run, cfg, results, wall, String.valueOf(json.get("backend"))));
    }

    static TraitResult trait(Path stages, ExperimentConfig.Trait t) throws IOException {
        String w = t.target();
        Category cat = t.category().words();
        Map<String, EvalRecord> m = new LinkedHashMap<>();
        m.put("reference", EvalRecord.read(stages.resolve("eval-reference-" + w).resolve("eval.json")));
        m.put("different-init reference", EvalRecord.read(stages.resolve("eval-diffref-" + w).resolve("eval.json")));
        m.put("teacher", EvalRecord.read(stages.resolve("eval-teacher-" + w).resolve("eval.json")));
        try (var dirs = Files.list(stages)) {
            for (Path d : dirs.sorted().toList()) {
                Matcher s = STUDENT.matcher(d.getFileName().toString());
                Path eval = d.resolve("eval-" + cat.noun() + ".json");
                if (!s.matches() || !Files.isRegularFile(eval)) continue;
                String writer = s.group(1).equals(w) ? "teacher" : s.group(1);
                if (!writer.equals("teacher") && !writer.equals("control") && !cat.words().contains(writer)) continue;
                m.put(s.group(2) + "/" + s.group(3) + "/" + writer + "/s" + s.group(4), EvalRecord.read(eval).as(w));
            }
        }
        return TraitResult.of(t, m, Map.of(), Map.of());
    }
}
