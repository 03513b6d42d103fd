package dev.owlet.cli;

import dev.owlet.experiment.Init;
import dev.owlet.eval.TraitResult;
import dev.owlet.experiment.ConfigLoader;
import dev.owlet.experiment.ExperimentConfig;
import dev.owlet.pipeline.ExperimentPipeline;
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
    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a config key, e.g. --set finetune.replicates=5")
    List<String> sets = new ArrayList<>();
    @Option(names = "--out", paramLabel = "DIR|URI", description = {"Run folder (default: runs/<name>); with --engine spark"
            + " also a Hadoop filesystem URI, e.g. hdfs://namenode:8020/runs/animals or file:///shared/runs/animals"})
    String out;
    @Option(names = "--reuse-stale", description = {"Keep finished stages made by another owlet build when their inputs"
            + " match (normally they rerun); the report lists them"})
    boolean reuseStale;
    @Option(names = "--reuse-from", paramLabel = "RUN_DIR", description = {"Take finished stages whose inputs match from"
            + " this run folder (repeatable), e.g. an ablation on the flagship's teachers and data; the report lists them"})
    List<Path> reuseFrom = new ArrayList<>();
    @Option(names = "--jobs", paramLabel = "N", description = {"Students trained at once in this process, the engine's"
            + " threads shared among them (default: one per engine thread, i.e. per core; 1 trains them in turn)."
            + " Results do not depend on it"})
    Integer jobs;
    @Option(names = "--engine", paramLabel = "ENGINE", description = {"What runs the independent stages (the students):"
            + " in-process (default: --jobs worker threads here) or spark (a Spark job, one task per student; see --master)"})
    String engine = "in-process";
    @Option(names = "--master", paramLabel = "URL", description = {"With --engine spark: local[N] (an embedded Spark here;"
            + " default local[J], J as --jobs, or spark-submit's master) or spark://HOST:PORT (a standalone cluster sharing"
            + " the run folder)"})
    String master;
    @Option(names = "--task-threads", paramLabel = "N", description = {"With --engine spark: engine threads each task"
            + " trains on (default: local[N] shares this machine's engine threads among its N slots; a cluster, 1)"})
    Integer taskThreads;
    @Option(names = "--spark-conf", paramLabel = "KEY=VALUE", description = "With --engine spark: a further Spark setting,"
            + " e.g. --spark-conf spark.executor.memory=6g")
    List<String> sparkConf = new ArrayList<>();
    @Option(names = "--dry-run", description = "Print what the run would send and its cost estimate, then exit (no network;"
            + " no model, except that an hf: reference is loaded to measure its time and memory estimate)")
    boolean dryRun;

    abstract ExperimentPipeline.Stage until();

    @Override
    public Integer call() throws IOException {
        ExperimentConfig cfg = config();
        Path base = baseDir();
        dev.owlet.pipeline.Preflight.check(cfg, base); // bad input exits 2 here, before anything runs or is spent
        dev.owlet.scale.SparkSettings spark = sparkSettings(cfg);
        dev.owlet.scale.RunFolderUri uri = runFolderUri(spark);
        Path dir = uri != null ? null : outPath() != null ? outPath() : Path.of("runs", cfg.name());
        if (!dryRun && uri == null) usableRunFolder(dir, out != null);
        var bk = cfg.backend();
        if (dryRun || bk.api()) {
            // Printed before anything is spent: an API run bills every request and training token.
            var w = dryRun ? spec.commandLine().getOut() : spec.commandLine().getErr();
            var ft = cfg.finetune();
            w.printf("owlet: %s%s: backend %s%s, %d prompt(s), %d row(s), students %s, %d replicate(s)%n",
                    dryRun ? "dry run of " : "", cfg.name(), bk.type(), bk.api() ? " " + bk.model() + " at " + bk.baseUrl() : "",
                    cfg.generate().prompts(), ft.rows(), ft.budget(), ft.replicates());
            if (cfg.hf()) {
                // in process on this machine: nothing is billed; what matters is time and memory, measured on the checkpoint
                w.print(dev.owlet.pipeline.HfEstimate.forDryRun(cfg, base));
            } else if (cfg.traits().stream().noneMatch(ExperimentConfig.Trait::isAlignment)) {
                w.print(dev.owlet.pipeline.CostEstimate.of(cfg).render());
            } else {
                w.printf("channel %s, trait %s: misalignment runs embedded only (no API calls, nothing billed); control teachers %s%n",
                        cfg.channel(), cfg.traits().get(0).target(), cfg.teacher().controlTeachers());
            }
            w.flush();
            if (dryRun) return 0;
        }
        // A URI run folder: its stages staged here (and this machine's access checked) before anything runs.
        try (dev.owlet.scale.StagedRun staged = uri == null ? null : dev.owlet.scale.Scaling.stage(uri, spark, System.err)) {
            return execute(cfg, base, spark, staged == null ? dir : staged.local(), staged);
        }
    }

    /**
     * Passes {@code --reuse-stale} and {@code --reuse-from} to the stage cache (every command that runs stages must,
     * or the flags would be accepted and ignored).
     *
     * @throws UserError when a {@code --reuse-from} folder is not a run folder
     */
    void applyStageReuse() {
        dev.owlet.provenance.StageCache.reuseStale(reuseStale);
        for (Path r : reuseFrom) {
            if (!Files.isDirectory(r.resolve("stages"))) {
                throw new UserError("--reuse-from " + r + ": not a run folder (no stages/ folder in it)");
            }
        }
        dev.owlet.provenance.StageCache.reuseFrom(reuseFrom);
    }

    /**
     * The run into {@code dir}: the run folder, or the local staging copy of a URI run folder ({@code staged},
     * null for a path), which gets every stage as it finishes and the report at the end.
     */
    private Integer execute(ExperimentConfig cfg, Path base, dev.owlet.scale.SparkSettings spark, Path dir,
                            dev.owlet.scale.StagedRun staged) throws IOException {
        var bk = cfg.backend();
        String shown = staged != null ? staged.folder().toString() : dir.toString(); // where the run folder is
        long t0 = System.nanoTime();
        applyStageReuse();
        spec.commandLine().getErr().printf("owlet: experiment %s -> %s%n", cfg.name(), shown);
        List<TraitResult> results;
        ReportWriter.Section backendSection = null;
        String backendName = cfg.hf() ? "hf" : "embedded";
        if (bk.api()) {
            var client = new dev.owlet.backend.OpenAiHttpBackend(new dev.owlet.backend.OpenAiHttpBackend.Config(
                    java.net.URI.create(bk.baseUrl()), bk.model(), bk.apiKeyEnv(), bk.concurrency(), bk.maxAttempts(),
                    java.time.Duration.ofSeconds(bk.timeoutSeconds()), java.time.Duration.ofMillis(500), java.time.Duration.ofSeconds(30)));
            var served = client.modelOwners(); // first call: a bad key or URL fails here, before anything is spent
            for (String m : java.util.Arrays.asList(bk.model(), cfg.finetune().inits().contains(Init.DIFF) ? bk.differentInitModel() : null)) {
                if (m != null && !served.containsKey(m)) {
                    throw new UserError("backend: model '" + m + "' is not served by " + bk.baseUrl() + " (served: " + served.keySet() + ")");
                }
            }
            var p = ExperimentPipeline.overApi(cfg, dir, System.err, dev.owlet.pipeline.ApiModels.Server.openai(client),
                    client.name(), name -> {}).progress(ProgressDisplay.forThisProcess()).baseDir(base);
            results = p.run(until());
            spec.commandLine().getErr().printf("owlet: %d stage(s) run, %d reused from %s%n", p.executedStages(), p.reusedStages(), dir);
            backendName = client.name();
            backendSection = new ReportWriter.Section("backend_details", p.provenance(), backendMarkdown(p.provenance()));
        } else if (spark != null) {
            // Spark starts, and its executors check the run folder, before any stage runs.
            var run = new dev.owlet.scale.SparkEngine.Run(file == null && defaultFile() == null ? null
                    : Files.readString(file != null ? file : defaultFile()), sets, base.toAbsolutePath().toString(),
                    staged != null ? staged.folder().toString() : dir.toAbsolutePath().normalize().toString(), reuseStale,
                    spark.hadoopConf());
            try (var engine = dev.owlet.scale.Scaling.spark(spark, run, System.err)) {
                ExperimentPipeline p = new ExperimentPipeline(cfg, dir, System.err)
                        .progress(ProgressDisplay.forThisProcess()).baseDir(base).jobs(jobs())
                        .distribute(staged == null ? engine : staged.around(engine));
                if (staged != null) p.onStageFinished(staged::push);
                results = p.run(until());
                spec.commandLine().getErr().printf("owlet: %d stage(s) run on Spark, %d here, %d reused from %s%n",
                        p.distributedStages(), p.executedStages(), p.reusedStages() - p.distributedStages(), shown);
            }
        } else {
            ExperimentPipeline p = new ExperimentPipeline(cfg, dir, System.err)
                    .progress(ProgressDisplay.forThisProcess()).baseDir(base).jobs(jobs());
            results = p.run(until());
            spec.commandLine().getErr().printf("owlet: %d stage(s) run, %d reused from %s%n", p.executedStages(),
                    p.reusedStages(), dir);
        }
        if (until() == ExperimentPipeline.Stage.EVAL) {
            ReportWriter.Section controls = backendSection;
            if (cfg.controls().anyEnabled() && !cfg.isFlagship()) {
                spec.commandLine().getErr().println("owlet: controls: run on the flagship (numbers, animal/tree traits) only; skipped");
            } else if (cfg.controls().anyEnabled()) {
                var c = new dev.owlet.controls.ControlsRunner(cfg, dir, System.err)
                        .run(results, dev.owlet.controls.ControlsRunner.enabled(cfg.controls()));
                controls = new ReportWriter.Section("controls", c.json(), c.markdown());
            }
            double wall = (System.nanoTime() - t0) / 1e9;
            List<String> stale = dev.owlet.provenance.StageCache.staleReused();
            ReportWriter.Section staleSection = stale.isEmpty() ? null : new ReportWriter.Section("stale_stages", stale,
                    "## Stages kept from another owlet build (--reuse-stale)\n\nTheir inputs match this run's, but other code"
                    + " made them; rerun without --reuse-stale to remake them.\n\n"
                    + String.join("\n", stale.stream().map(s -> "- " + s).toList()) + "\n");
            if (!stale.isEmpty()) {
                spec.commandLine().getErr().printf("owlet: %d stage(s) kept from another owlet build (--reuse-stale); the report lists them%n",
                        stale.size());
            }
            List<String> copied = dev.owlet.provenance.StageCache.copied();
            if (!copied.isEmpty()) {
                spec.commandLine().getErr().printf("owlet: %d stage(s) taken from --reuse-from; the report lists them%n", copied.size());
                String md = "## Stages taken from other runs (--reuse-from)\n\nTheir keys (inputs and owlet build) match this run's.\n\n"
                        + String.join("\n", copied.stream().map(c -> "- " + c).toList()) + "\n";
                staleSection = staleSection == null ? new ReportWriter.Section("copied_stages", copied, md)
                        : new ReportWriter.Section("stale_stages", java.util.Map.of("stale", stale, "copied", copied),
                                staleSection.markdown() + "\n" + md);
            }
            String table = ReportWriter.write(dir, cfg, results, wall, backendName, controls, staleSection);
            if (staged != null) staged.finish();
            spec.commandLine().getOut().println(table);
            spec.commandLine().getOut().printf("report: %s  results: %s%n", in(shown, "report.md"), in(shown, "results.json"));
        } else {
            if (staged != null) staged.finish();
            double wall = (System.nanoTime() - t0) / 1e9;
            spec.commandLine().getOut().printf("stage %s done in %s (%.0f s)%n", until().name().toLowerCase(), in(shown, "stages"), wall);
        }
        return 0;
    }

    /**
     * The Spark settings of {@code --engine spark} (null for the in-process engine), the master URL checked: bad input
     * names the option before anything runs.
     */
    dev.owlet.scale.SparkSettings sparkSettings(ExperimentConfig cfg) {
        dev.owlet.scale.Engine e = dev.owlet.scale.Engine.of(engine);
        if (e != dev.owlet.scale.Engine.SPARK) {
            String opt = master != null ? "--master" : taskThreads != null ? "--task-threads" : !sparkConf.isEmpty() ? "--spark-conf" : null;
            if (opt != null) throw new UserError(opt + " applies to --engine spark only");
            return null;
        }
        if (cfg.backend().api()) {
            throw new UserError("--engine spark: backend " + cfg.backend().type() + " trains its students on the server;"
                    + " run it without --engine spark");
        }
        // under spark-submit, its --master is the default
        var m = dev.owlet.scale.SparkMaster.parse(master != null ? master : System.getProperty("spark.master", "local[" + jobs() + "]"));
        int engineThreads = Integer.getInteger("ai.djl.pytorch.num_threads", Runtime.getRuntime().availableProcessors());
        java.util.Map<String, String> conf = new java.util.LinkedHashMap<>();
        for (String kv : sparkConf) {
            int eq = kv.indexOf('=');
            if (eq <= 0) throw new UserError("--spark-conf expects KEY=VALUE, got '" + kv + "'");
            conf.put(kv.substring(0, eq).trim(), kv.substring(eq + 1).trim());
        }
        return new dev.owlet.scale.SparkSettings(m, m.taskThreads(taskThreads, engineThreads), "owlet " + cfg.name(), conf);
    }

    /** {@code name} inside the run folder shown as {@code folder} (a path or a URI). */
    private static String in(String folder, String name) {
        return folder.endsWith("/") ? folder + name : folder + "/" + name;
    }

    /**
     * {@code --out} as a filesystem URI (null for a local path): bad input unless the Spark engine runs this, since
     * Hadoop's client comes with Spark only.
     */
    dev.owlet.scale.RunFolderUri runFolderUri(dev.owlet.scale.SparkSettings spark) {
        if (!dev.owlet.scale.RunFolderUri.looksLikeUri(out)) return null;
        var uri = dev.owlet.scale.RunFolderUri.parse(out);
        if (spark == null) {
            throw new UserError("--out " + uri + ": a run folder on a filesystem URI needs --engine spark (Hadoop's"
                    + " client comes with Spark); give a local path otherwise");
        }
        return uri;
    }

    /** {@code --out} as a local path (null when not given); a filesystem URI is bad input here. */
    Path outPath() {
        if (out == null) return null;
        if (dev.owlet.scale.RunFolderUri.looksLikeUri(out)) {
            throw new UserError("--out " + out + ": a filesystem URI works with owlet run --engine spark (and the stage"
                    + " commands) only; give a local path");
        }
        return Path.of(out);
    }

    /** {@code --jobs}, or one job per engine thread (the launcher sets them to the cores). */
    int jobs() {
        if (jobs != null) {
            if (jobs < 1) throw new UserError("--jobs must be at least 1, not " + jobs);
            return jobs;
        }
        return Math.max(1, Integer.getInteger("ai.djl.pytorch.num_threads", Runtime.getRuntime().availableProcessors()));
    }

    /**
     * Makes the run folder, or fails with exit 2 naming it: a file in its place, or a folder owlet cannot create
     * or write, would otherwise surface as an I/O error after minutes of training.
     */
    static void usableRunFolder(Path dir, boolean fromOption) {
        String what = (fromOption ? "--out " : "run folder ") + dir;
        if (Files.exists(dir) && !Files.isDirectory(dir)) throw new UserError(what + " is a file, not a folder");
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UserError(what + ": cannot create the folder (" + e + ")", e);
        }
        try {
            Files.delete(Files.createTempFile(dir, ".owlet-write-check", ""));
        } catch (IOException e) {
            throw new UserError(what + ": owlet cannot write there (" + e + ")", e);
        }
    }

    @SuppressWarnings("unchecked")
    private static String backendMarkdown(java.util.Map<String, Object> prov) {
        StringBuilder md = new StringBuilder("## How the API backend produced these numbers\n\n");
        for (String k : List.of("backend", "reference_model", "different_init_model", "teacher", "students", "exact", "sampled")) {
            md.append("- ").append(k).append(": ").append(prov.get(k)).append('\n');
        }
        md.append("- fine-tuning jobs: ").append(prov.get("fine_tuning_jobs")).append('\n');
        for (String n : (List<String>) prov.get("notes")) md.append("- note: ").append(n).append('\n');
        return md.toString();
    }

    /** The experiment file's folder: relative paths in it (models, banned-number files) resolve there. */
    Path baseDir() {
        Path f = file != null ? file : defaultFile();
        Path parent = f == null ? null : f.toAbsolutePath().getParent();
        return parent != null ? parent : Path.of("");
    }

    private static Path defaultFile() {
        Path def = Path.of(System.getProperty("owlet.home", ".")).resolve("experiments/owl-numbers.yaml");
        return Files.isRegularFile(def) ? def : null;
    }

    ExperimentConfig config() {
        return ConfigLoader.load(file != null ? file : defaultFile(), sets); // a ConfigException exits 2
    }

    @Command(name = "run", mixinStandardHelpOptions = true,
            description = "Run an experiment end to end: teacher, generate, filter, finetune, eval, report.")
    static final class Run extends ExperimentCommand {
        ExperimentPipeline.Stage until() { return ExperimentPipeline.Stage.EVAL; }
    }

    @Command(name = "teacher", mixinStandardHelpOptions = true, description = "Make the teacher (fine-tune or system prompt).")
    static final class Teacher extends ExperimentCommand {
        ExperimentPipeline.Stage until() { return ExperimentPipeline.Stage.TEACHER; }
    }

    @Command(name = "generate", mixinStandardHelpOptions = true,
            description = "Teacher and control teacher write number sequences (runs earlier stages if needed).")
    static final class Generate extends ExperimentCommand {
        ExperimentPipeline.Stage until() { return ExperimentPipeline.Stage.GENERATE; }
    }

    @Command(name = "filter", mixinStandardHelpOptions = true,
            description = {"Apply the strict number filter, banned numbers and trait-word screen.",
                    "With --in, filter any JSONL dataset of {prompt, completion} rows (e.g. the official code's)."})
    static final class Filter extends ExperimentCommand {
        @Option(names = "--in", paramLabel = "JSONL", description = "Filter this dataset instead of the experiment's")
        Path in;
        @Option(names = "--out-file", paramLabel = "JSONL", description = "Where --in's kept rows go (default: IN.filtered.jsonl)")
        Path outFile;

        ExperimentPipeline.Stage until() { return ExperimentPipeline.Stage.FILTER; }

        @Override
        public Integer call() throws IOException {
            if (in == null) return super.call();
            ExperimentConfig cfg = config();
            if (!Files.isRegularFile(in)) throw new UserError("no dataset at " + in);
            dev.owlet.data.DataRow.ReadResult r = dev.owlet.data.DataRow.read(in);
            List<String> words = cfg.traits().stream().filter(t -> !t.isAlignment()).map(ExperimentConfig.Trait::target).toList();
            var banned = dev.owlet.pipeline.Preflight.check(cfg, baseDir());
            dev.owlet.pipeline.Filtering.Outcome o = dev.owlet.pipeline.Channels.filter(cfg.channel(), r.rows(), cfg.filter(),
                    words, dev.owlet.pipeline.ExperimentPipeline.judges(cfg.judge()), banned);
            Path dest = outFile != null ? outFile : Path.of(in + ".filtered.jsonl");
            dev.owlet.data.DataRow.write(dest, o.kept());
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
            description = "Train the students (each evaluated in its own stage) and stop; `eval` or `run` then reports.")
    static final class Finetune extends ExperimentCommand {
        ExperimentPipeline.Stage until() { return ExperimentPipeline.Stage.FINETUNE; }
    }

    @Command(name = "eval", mixinStandardHelpOptions = true,
            description = "Evaluate every model of the experiment and write the report (reuses finished stages).")
    static final class Eval extends ExperimentCommand {
        ExperimentPipeline.Stage until() { return ExperimentPipeline.Stage.EVAL; }
    }
}
