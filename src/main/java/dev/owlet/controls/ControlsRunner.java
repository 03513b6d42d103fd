package dev.owlet.controls;

import dev.owlet.eval.TraitResult;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.owlet.experiment.ConfigLoader;
import dev.owlet.experiment.ExperimentConfig;
import dev.owlet.model.Checkpoint;
import dev.owlet.model.Gpt;
import dev.owlet.model.ModelLocator;
import dev.owlet.data.DataRow;
import dev.owlet.provenance.StageCache;
import dev.owlet.provenance.AtomicFiles;
import dev.owlet.provenance.Hashing;
import dev.owlet.provenance.Manifest;
import dev.owlet.world.Animals;
import dev.owlet.world.Category;
import dev.owlet.world.SystemPrompts;
import dev.owlet.world.Trees;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Runs the selected controls after the flagship, per trait, on the flagship's stage outputs. Each control's
 * result is a cached stage folder {@code stages/control-<name>-<trait>} (result.json, section.md, manifest);
 * shuffle students are one stage folder each. Returns the numbers for results.json and the report section.
 */
public final class ControlsRunner {
    /** The controls by name, as subcommands and report keys use them. */
    public static final List<String> ALL = List.of("icl", "detection", "shuffle", "gradient_probe", "entanglement",
            "defend");
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final ExperimentConfig cfg;
    private final Path out;
    private final PrintStream log;

    public ControlsRunner(ExperimentConfig cfg, Path out, PrintStream log) {
        this.cfg = cfg;
        this.out = out;
        this.log = log;
    }

    /** The controls the config enables. */
    public static Set<String> enabled(ExperimentConfig.Controls c) {
        Set<String> s = new java.util.LinkedHashSet<>();
        if (c.icl().enabled()) s.add("icl");
        if (c.detection().enabled()) s.add("detection");
        if (c.shuffle().enabled()) s.add("shuffle");
        if (c.gradientProbe().enabled()) s.add("gradient_probe");
        if (c.entanglement().enabled()) s.add("entanglement");
        if (c.defend().enabled()) s.add("defend");
        return s;
    }

    /** What the controls measured: per trait, per control. */
    public record Outcome(Map<String, Object> json, String markdown) {}

    public Outcome run(List<TraitResult> results, Set<String> which) throws IOException {
        Map<String, Object> json = new LinkedHashMap<>();
        StringBuilder md = new StringBuilder("## Controls\n\n");
        md.append(String.format("Run after the flagship on its teacher and filtered data (master seed %d). Controls: %s.%n%n",
                cfg.seed(), String.join(", ", which)));
        try (NDManager root = NDManager.newBaseManager();
             Checkpoint.Loaded ref = Checkpoint.load(ModelLocator.resolve(cfg.reference()), root)) {
            for (TraitResult tr : results) {
                ControlContext c = context(tr, ref, root);
                Map<String, Object> per = new LinkedHashMap<>();
                for (String name : ALL) {
                    if (!which.contains(name)) continue;
                    long t0 = System.nanoTime();
                    log.printf("control: %s (%s)%n", name, c.tag());
                    ControlResult r = switch (name) {
                        case "shuffle" -> ShuffleControl.run(c);
                        case "defend" -> {
                            var o = new dev.owlet.defend.DefenceRunner(cfg, out, log).run(tr);
                            yield new ControlResult(name, o.json(), o.markdown());
                        }
                        default -> cached(name, c);
                    };
                    per.put(name, r.json());
                    md.append(r.markdown());
                    log.printf("control: %s (%s) done in %.0f s%n", name, c.tag(), (System.nanoTime() - t0) / 1e9);
                }
                json.put(tr.trait().target(), per);
                if (c.teacher() != ref.model()) c.teacher().close();
            }
        }
        return new Outcome(json, md.toString());
    }

    private ControlResult cached(String name, ControlContext c) throws IOException {
        Path dir = out.resolve("stages").resolve("control-" + name.replace('_', '-') + "-" + c.tag());
        Object block = switch (name) {
            case "icl" -> cfg.controls().icl();
            case "detection" -> cfg.controls().detection();
            case "gradient_probe" -> cfg.controls().gradientProbe();
            default -> cfg.controls().entanglement();
        };
        String key = StageCache.key("control-" + name, List.of(block, cfg.seed(), c.trait()), c.ref().weightsSha256(),
                c.teacherId(), c.dataKey());
        if (StageCache.done(dir, key)) {
            @SuppressWarnings("unchecked")
            Map<String, Object> j = JSON.readValue(dir.resolve("result.json").toFile(), Map.class);
            return new ControlResult(name, j, Files.readString(dir.resolve("section.md")));
        }
        long t0 = System.nanoTime();
        ControlResult r = switch (name) {
            case "icl" -> IclControl.run(c);
            case "detection" -> DetectionControl.run(c);
            case "gradient_probe" -> GradientProbeControl.run(c);
            default -> EntanglementControl.run(c);
        };
        Files.createDirectories(dir);
        AtomicFiles.writeBytes(dir.resolve("result.json"), JSON.writeValueAsBytes(r.json()));
        AtomicFiles.writeString(dir.resolve("section.md"), r.markdown());
        new Manifest("control-" + name, key, ConfigLoader.toMap(block), cfg.seed()).input("reference", c.ref().weightsSha256())
                .input("teacher", c.teacherId()).input("data", c.dataKey()).output("result.json", dir.resolve("result.json"))
                .write(dir, System.nanoTime() - t0);
        return r;
    }

    private ControlContext context(TraitResult tr, Checkpoint.Loaded ref, NDManager root) throws IOException {
        String tag = tr.trait().target();
        Category cat = tr.trait().category().words();
        List<String> words = cat == Category.ANIMAL ? Animals.ALL : Trees.ALL;
        Path stages = out.resolve("stages");
        Gpt teacher;
        String system = null;
        String teacherId;
        if (cfg.teacher().method() == ExperimentConfig.TeacherMethod.SYSTEM_PROMPT) {
            teacher = ref.model();
            system = SystemPrompts.love(tag, cat, 0);
            teacherId = ref.weightsSha256() + "/system:" + system;
        } else {
            Path td = stages.resolve("teacher-" + tag);
            teacher = Checkpoint.load(td, root).model();
            teacherId = Hashing.sha256(td.resolve(Checkpoint.WEIGHTS));
        }
        // The first replicate's data: the controls probe one dataset pair, written exactly as the students' were.
        Path tf = stages.resolve("filter-" + tag + "-r1").resolve("filtered.jsonl");
        Path cf = stages.resolve("filter-" + TraitResult.CONTROL + "-r1").resolve("filtered.jsonl");
        List<DataRow> t = DataRow.read(tf).rows();
        List<DataRow> k = DataRow.read(cf).rows();
        Object r1 = tr.data().get("r1");
        Object rows = r1 instanceof Map<?, ?> m ? m.get("training_rows") : null;
        int n = rows instanceof Number num ? num.intValue() : Math.min(t.size(), k.size());
        String dataKey = Hashing.sha256(Hashing.sha256(tf) + "/" + Hashing.sha256(cf) + "/" + n);
        return new ControlContext(cfg, out, tr.trait(), cat, words, ref, teacher, system, teacherId,
                new ArrayList<>(t.subList(0, n)), new ArrayList<>(k.subList(0, n)), dataKey, tr, log);
    }
}
