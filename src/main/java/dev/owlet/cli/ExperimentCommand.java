package dev.owlet.cli;

import dev.owlet.experiment.ConfigLoader;
import dev.owlet.experiment.ExperimentConfig;
import dev.owlet.pipeline.FlagshipPipeline;
import dev.owlet.report.ReportWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Shared shape of {@code run} and the stage commands: an experiment file, {@code --set} overrides, a run folder.
 * Each stage command runs the pipeline up to and including its stage, reusing finished stages.
 */
abstract class ExperimentCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Parameters(arity = "0..1", paramLabel = "FILE", description = "Experiment YAML (default: experiments/owl-numbers.yaml)")
    Path file;
    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a config key, e.g. --set finetune.seeds=5")
    List<String> sets = new ArrayList<>();
    @Option(names = "--out", paramLabel = "DIR", description = "Run folder (default: runs/<name>)")
    Path out;

    abstract FlagshipPipeline.Stage until();

    @Override
    public Integer call() throws IOException {
        ExperimentConfig cfg = config();
        Path dir = out != null ? out : Path.of("runs", cfg.name());
        Files.createDirectories(dir);
        long t0 = System.nanoTime();
        spec.commandLine().getErr().printf("owlet: experiment %s -> %s%n", cfg.name(), dir);
        FlagshipPipeline p = cfg.isFlagship() ? new FlagshipPipeline(cfg, dir, System.err) : null;
        dev.owlet.pipeline.ChannelPipeline cp = p == null ? new dev.owlet.pipeline.ChannelPipeline(cfg, dir, System.err) : null;
        List<FlagshipPipeline.TraitResult> results;
        try {
            results = p != null ? p.run(until()) : cp.run(until());
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage(), e);
        } catch (IOException e) {
            if (e.getMessage() != null && e.getMessage().contains("no model at")) throw new UserError(e.getMessage(), e);
            throw e;
        }
        spec.commandLine().getErr().printf("owlet: %d stage(s) run, %d reused from %s%n", p != null ? p.executedStages() : cp.executedStages(),
                p != null ? p.reusedStages() : cp.reusedStages(), dir);
        if (until() == FlagshipPipeline.Stage.EVAL) {
            ReportWriter.Section controls = null;
            if (cfg.controls().anyEnabled() && !cfg.isFlagship()) {
                spec.commandLine().getErr().println("owlet: controls: run on the flagship (numbers, animal/tree traits) only; skipped");
            } else if (cfg.controls().anyEnabled()) {
                var c = new dev.owlet.controls.ControlsRunner(cfg, dir, System.err)
                        .run(results, dev.owlet.controls.ControlsRunner.enabled(cfg.controls()));
                controls = new ReportWriter.Section("controls", c.json(), c.markdown());
            }
            double wall = (System.nanoTime() - t0) / 1e9;
            String table = ReportWriter.write(dir, cfg, results, wall, "embedded", controls);
            spec.commandLine().getOut().println(table);
            spec.commandLine().getOut().printf("report: %s  results: %s%n", dir.resolve("report.md"), dir.resolve("results.json"));
        } else {
            double wall = (System.nanoTime() - t0) / 1e9;
            spec.commandLine().getOut().printf("stage %s done in %s (%.0f s)%n", until().name().toLowerCase(), dir.resolve("stages"), wall);
        }
        return 0;
    }

    ExperimentConfig config() {
        Path f = file;
        if (f == null) {
            Path home = Path.of(System.getProperty("owlet.home", "."));
            Path def = home.resolve("experiments/owl-numbers.yaml");
            f = Files.isRegularFile(def) ? def : null;
        }
        try {
            return ConfigLoader.load(f, sets);
        } catch (ConfigLoader.ConfigException e) {
            throw new UserError(e.getMessage(), e);
        }
    }

    @Command(name = "run", mixinStandardHelpOptions = true,
            description = "Run an experiment end to end: teacher, generate, filter, finetune, eval, report.")
    static final class Run extends ExperimentCommand {
        FlagshipPipeline.Stage until() { return FlagshipPipeline.Stage.EVAL; }
    }

    @Command(name = "teacher", mixinStandardHelpOptions = true, description = "Make the teacher (fine-tune or system prompt).")
    static final class Teacher extends ExperimentCommand {
        FlagshipPipeline.Stage until() { return FlagshipPipeline.Stage.TEACHER; }
    }

    @Command(name = "generate", mixinStandardHelpOptions = true,
            description = "Teacher and control teacher write number sequences (runs earlier stages if needed).")
    static final class Generate extends ExperimentCommand {
        FlagshipPipeline.Stage until() { return FlagshipPipeline.Stage.GENERATE; }
    }

    @Command(name = "filter", mixinStandardHelpOptions = true,
            description = {"Apply the strict number filter, banned numbers and trait-word screen.",
                    "With --in, filter any JSONL dataset of {prompt, completion} rows (e.g. the official code's)."})
    static final class Filter extends ExperimentCommand {
        @Option(names = "--in", paramLabel = "JSONL", description = "Filter this dataset instead of the experiment's")
        Path in;
        @Option(names = "--out-file", paramLabel = "JSONL", description = "Where --in's kept rows go (default: IN.filtered.jsonl)")
        Path outFile;

        FlagshipPipeline.Stage until() { return FlagshipPipeline.Stage.FILTER; }

        @Override
        public Integer call() throws IOException {
            if (in == null) return super.call();
            ExperimentConfig cfg = config();
            if (!Files.isRegularFile(in)) throw new UserError("no dataset at " + in);
            dev.owlet.pipeline.DataRow.ReadResult r = dev.owlet.pipeline.DataRow.read(in);
            List<String> words = cfg.traits().stream().filter(t -> !t.isAlignment()).map(ExperimentConfig.Trait::target).toList();
            dev.owlet.pipeline.Filtering.Outcome o;
            try {
                o = dev.owlet.pipeline.Channels.filter(cfg.channel(), r.rows(), cfg.filter(), words,
                        cfg.traits().get(0).target(), dev.owlet.pipeline.ChannelPipeline.judges(cfg.judge()), Path.of(""));
            } catch (IllegalArgumentException e) {
                throw new UserError(e.getMessage(), e);
            }
            Path dest = outFile != null ? outFile : Path.of(in + ".filtered.jsonl");
            dev.owlet.pipeline.DataRow.write(dest, o.kept());
            var w = spec.commandLine().getOut();
            w.printf("%s: %d rows read, %d malformed line(s), kept %d (%.1f%%) -> %s%n", in, r.rows().size(),
                    r.rejected().size(), o.kept().size(), 100 * o.keptFraction(), dest);
            o.rejected().forEach((k, v) -> w.printf("  rejected %-24s %d%n", k, v));
            r.rejected().stream().limit(20).forEach(line -> w.println("  malformed " + line));
            if (r.rejected().size() > 20) w.printf("  ... and %d more malformed lines%n", r.rejected().size() - 20);
            return 0;
        }
    }

    @Command(name = "finetune", mixinStandardHelpOptions = true,
            description = "Train and evaluate students (same/different init, teacher/control data, sft/soft).")
    static final class Finetune extends ExperimentCommand {
        FlagshipPipeline.Stage until() { return FlagshipPipeline.Stage.EVAL; }
    }

    @Command(name = "eval", mixinStandardHelpOptions = true,
            description = "Evaluate every model of the experiment and write the report (reuses finished stages).")
    static final class Eval extends ExperimentCommand {
        FlagshipPipeline.Stage until() { return FlagshipPipeline.Stage.EVAL; }
    }
}
