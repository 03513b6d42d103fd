package dev.owlet.pipeline;

import dev.owlet.experiment.InputError;
import dev.owlet.train.StudentLoss;

import dev.owlet.eval.EvalRecord;
import dev.owlet.provenance.StageCache;
import dev.owlet.experiment.Seeds;
import dev.owlet.train.LmDistillation;
import dev.owlet.train.SoftLabels;
import dev.owlet.data.DataRow;
import ai.djl.ndarray.NDManager;
import dev.owlet.eval.TraitEvaluator;
import dev.owlet.experiment.ConfigLoader;
import dev.owlet.experiment.ExperimentConfig;
import dev.owlet.infer.SamplingConfig;
import dev.owlet.model.Checkpoint;
import dev.owlet.model.Gpt;
import dev.owlet.model.ModelLocator;
import dev.owlet.provenance.Hashing;
import dev.owlet.provenance.Manifest;
import dev.owlet.token.Tokenizer;
import dev.owlet.token.WordTokenizer;
import dev.owlet.world.Category;
import dev.owlet.world.NumberPromptGenerator;
import dev.owlet.world.Questions;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The cached-stage machinery both pipelines share: each stage is a folder under {@code out/stages} that is reused
 * when its manifest carries the same key (see {@link StageCache}), and otherwise runs, writes its artifact
 * atomically and then its manifest. It counts what it ran and reused, and calls the test hook before running.
 */
@SuppressWarnings("unchecked")
final class StageRunner {
    private final ExperimentConfig cfg;
    private final Path out;
    private final PrintStream log;
    ExperimentPipeline.StageHook hook = name -> {};
    ExperimentPipeline.StageFinished onFinished = (name, dir) -> {};
    StageProgress progress = StageProgress.NONE;
    /** Stages run and reused so far (students may finish on several threads at once). */
    final java.util.concurrent.atomic.AtomicInteger executed = new java.util.concurrent.atomic.AtomicInteger();
    final java.util.concurrent.atomic.AtomicInteger reused = new java.util.concurrent.atomic.AtomicInteger();
    /** The experiment file's folder: relative paths in the experiment resolve here (see {@link Preflight}). */
    Path baseDir = Path.of("");

    StageRunner(ExperimentConfig cfg, Path out, PrintStream log) {
        this.cfg = cfg;
        this.out = out;
        this.log = log;
    }

    Path dir(String name) { return out.resolve("stages").resolve(name); }

    /** Counts a stage that has just finished here (its manifest written) and tells {@link #onFinished}. */
    void finished(String name) throws IOException {
        executed.incrementAndGet();
        onFinished.finished(name, dir(name));
    }

    /** Runs {@code hook} for a stage about to run, and counts it. */
    void starting(String name) {
        hook.beforeStage(name);
    }

    Checkpoint.Loaded load(String ref, NDManager root, String key) throws IOException {
        Path p = Preflight.modelPath(ref, baseDir);
        if (!Checkpoint.exists(p)) {
            throw new InputError(key + ": no model at " + p + " (make one with `owlet pretrain --seed N --out " + p + "`)");
        }
        return Checkpoint.load(p, root);
    }

    /** Loads the reference and the different-init base, which must share a vocabulary. */
    Checkpoint.Loaded[] loadPair(NDManager root) throws IOException {
        Checkpoint.Loaded ref = load(cfg.reference(), root, "reference");
        Checkpoint.Loaded diff = load(cfg.differentInit(), root, "different_init");
        if (!ref.tokenizer().vocabulary().equals(diff.tokenizer().vocabulary())) {
            ref.close();
            diff.close();
            throw new InputError("reference and different_init use different vocabularies; the cross-init control"
                    + " needs two models of the same world");
        }
        return new Checkpoint.Loaded[] {ref, diff};
    }

    /** The category of a favorite-word trait, after checking that its target is one of the world's words. */
    static Category category(ExperimentConfig.Trait trait) {
        Category cat = trait.category().words();
        if (!cat.words().contains(trait.target())) {
            throw new InputError("traits[].target '" + trait.target() + "' is not one of the world's "
                    + cat.noun() + "s: " + cat.words());
        }
        return cat;
    }

    /** The questions with a random number sequence before each (the paper's eval variant), reproducibly. */
    List<String> numberPrefixed(List<String> qs) {
        NumberPromptGenerator g = new NumberPromptGenerator(new SplittableRandom(Seeds.derive(cfg.seed(), "eval-prefix")),
                cfg.filter().maxCount(), 3);
        List<String> prefixed = new ArrayList<>();
        for (String q : qs) {
            String nums = g.next().examples().stream().map(String::valueOf).collect(java.util.stream.Collectors.joining(", "));
            prefixed.add(nums + ". " + q);
        }
        return prefixed;
    }

    static String rowsDigest(List<DataRow> rows) {
        StringBuilder sb = new StringBuilder();
        for (DataRow r : rows) sb.append(r.prompt()).append('\u0001').append(r.completion()).append('\u0002');
        return Hashing.sha256(sb.toString());
    }

    /**
     * A generation stage: {@code write} answers {@code count} prompts (reporting rows done) into
     * {@code name/raw.jsonl}; {@code extra} lands in the manifest.
     */
    Path generate(String name, String key, String label, int count, Function<java.util.function.IntConsumer, List<DataRow>> write,
                  Map<String, Object> extra) throws IOException {
        Path dir = dir(name);
        Path file = dir.resolve("raw.jsonl");
        if (StageCache.done(dir, key)) {
            reused.incrementAndGet();
            return file;
        }
        starting(name);
        long t0 = System.nanoTime();
        log.printf("generate: %s writes %d completions%n", label, count);
        List<DataRow> rows;
        int[] answered = {0};
        try (StageProgress.Ticker t = progress.start(name, "rows")) {
            rows = write.apply(done -> {
                answered[0] = done;
                t.update(done, count);
            });
        }
        if (answered[0] == 0) answered[0] = count; // a backend that did not report progress answered every prompt
        DataRow.write(file, rows);
        Manifest man = new Manifest("generate", key, ConfigLoader.toMap(cfg.generate()), cfg.seed()).put("writer", label);
        extra.forEach(man::put);
        man.count("rows", rows.size());
        if (cfg.generate().stopsAtRows()) {
            man.count("prompts_answered", answered[0]);
            if (answered[0] < count) {
                log.printf("generate: %s stopped after %d of %d prompts: at least %d rows pass the filter (generate.stop_at_rows)%n",
                        label, answered[0], count, cfg.finetune().rows());
            }
        }
        if (cfg.generate().minTokenProbability() > 0) {
            man.count("below_min_token_probability", answered[0] - rows.size());
            log.printf("generate: %s: %d of %d completions had a token below probability %s and were dropped%n", label,
                    answered[0] - rows.size(), answered[0], cfg.generate().minTokenProbability());
        }
        man.output("raw.jsonl", file).write(dir, System.nanoTime() - t0);
        finished(name);
        return file;
    }

    /** Filters {@code raw} into {@code name/filtered.jsonl}; the counts land in {@code info} under {@code label}. */
    List<DataRow> filter(String name, Path raw, String key, Function<List<DataRow>, Filtering.Outcome> apply,
                         Map<String, Object> info, String label, Map<String, Object> extra) throws IOException {
        Path dir = dir(name);
        Path file = dir.resolve("filtered.jsonl");
        if (!StageCache.done(dir, key)) {
            starting(name);
            long t0 = System.nanoTime();
            DataRow.ReadResult in = DataRow.read(raw);
            Filtering.Outcome o = apply.apply(in.rows());
            DataRow.write(file, o.kept());
            Manifest man = new Manifest("filter", key, ConfigLoader.toMap(cfg.filter()), cfg.seed());
            extra.forEach(man::put);
            man.input("raw.jsonl", Hashing.sha256(raw)).output("filtered.jsonl", file)
                    .count("rows_in", o.total()).count("kept", o.kept().size()).count("rejected", o.rejected())
                    .count("malformed_lines", in.rejected()).write(dir, System.nanoTime() - t0);
            log.printf("filter: %s kept %d of %d (%.1f%%), rejected %s%n", label, o.kept().size(), o.total(),
                    100 * o.keptFraction(), o.rejected());
            finished(name);
        } else {
            reused.incrementAndGet();
        }
        info.put(label, Manifest.read(dir).get("counts"));
        return DataRow.read(file).rows();
    }

    /**
     * Cuts every writer's filtered rows to the same count (at most {@code finetune.rows}), so teacher and control
     * students see equally many rows; records it in {@code info} as {@code training_rows}.
     *
     * @throws IOException when some writer kept nothing
     */
    int cutToCommonSize(Map<String, List<DataRow>> rows, Map<String, Object> info) throws IOException {
        int n = cfg.finetune().rows();
        for (List<DataRow> r : rows.values()) n = Math.min(n, r.size());
        if (n == 0) {
            StringBuilder kept = new StringBuilder();
            rows.forEach((k, v) -> kept.append(kept.isEmpty() ? "" : ", ").append(k).append(' ').append(v.size()));
            throw new IOException("no rows survived the " + cfg.channel() + " filter (" + kept
                    + "); see the filter manifests under " + out.resolve("stages"));
        }
        for (var e : rows.entrySet()) e.setValue(e.getValue().subList(0, n));
        info.put("training_rows", n);
        return n;
    }

    /**
     * A teacher's soft labels for one writer's data ({@code name/labels.safetensors}), computed once and read by every
     * soft-label student of that data, whatever its initialization.
     */
    SoftLabels softLabels(String name, String key, String teacherWeights, String system, List<DataRow> rows,
                          Supplier<SoftLabels> compute) throws IOException {
        Path dir = dir(name);
        Path file = dir.resolve("labels.safetensors");
        if (StageCache.done(dir, key)) {
            reused.incrementAndGet();
            return SoftLabels.read(file);
        }
        starting(name);
        long t0 = System.nanoTime();
        SoftLabels labels = compute.get();
        java.nio.file.Files.createDirectories(dir);
        labels.write(file);
        int positions = 0;
        int a = labels.alphabet().length;
        for (float[] r : labels.rows()) positions += r.length / a;
        new Manifest("labels", key, Map.of("alphabet_size", a), cfg.seed())
                .input("teacher_weights", teacherWeights).input("rows", rowsDigest(rows))
                .put("system_prompt", system).count("rows", rows.size()).count("positions", positions)
                .output("labels.safetensors", file).write(dir, System.nanoTime() - t0);
        finished(name);
        return labels;
    }

    /** A finished stage's evaluation, or null when the stage must run. */
    private EvalRecord cached(Path dir, String key) throws IOException {
        if (!StageCache.done(dir, key)) return null;
        reused.incrementAndGet();
        return EvalRecord.read(dir.resolve("eval.json"));
    }

    /** An evaluation stage: {@code name/eval.json}. */
    EvalRecord eval(String name, String key, String modelKey, Supplier<EvalRecord> evaluate, Map<String, Object> extra)
            throws IOException {
        Path dir = dir(name);
        EvalRecord done = cached(dir, key);
        if (done != null) return done;
        starting(name);
        long t0 = System.nanoTime();
        EvalRecord r = evaluate.get();
        r.write(dir.resolve("eval.json"));
        Manifest man = new Manifest("eval", key, ConfigLoader.toMap(cfg.eval()), cfg.seed()).input("model", modelKey);
        extra.forEach(man::put);
        man.output("eval.json", dir.resolve("eval.json")).count("questions", r.exact().length)
                .count("mean_exact", r.meanExact()).write(dir, System.nanoTime() - t0);
        finished(name);
        return r;
    }

    /**
     * Favorite-word evaluation: every paraphrase of the category's question, exact and sampled, plus the paper's
     * variant with a random number sequence before each question (only the numbers: a full number-task
     * instruction would make the model answer with numbers).
     */
    EvalRecord favorite(String name, Gpt model, Tokenizer tok, ExperimentConfig.Trait trait, Category cat, String system) {
        List<String> words = cat.words();
        TraitEvaluator ev = new TraitEvaluator(model, tok);
        List<String> qs = Questions.all(cat);
        long seed = Seeds.derive(cfg.seed(), "eval-samples");
        TraitEvaluator.Measurement m = ev.measure(qs, system, trait.target(), words, cfg.eval().samplesPerQuestion(),
                cfg.eval().maxTokens(), seed, sampleFrom(cat));
        TraitEvaluator.Measurement prefix = null;
        if (cfg.eval().numberPrefix()) {
            prefix = ev.measure(numberPrefixed(qs), system, trait.target(), words, 0, cfg.eval().maxTokens(), seed);
        }
        return EvalRecord.of(name, m, prefix);
    }

    /**
     * The first question whose answers are sampled: with a held-out split only the held-out paraphrases are, because
     * the report's sampled rates read those only (four fifths of an evaluation's time saved, the same draws).
     */
    int sampleFrom(Category cat) {
        return cfg.eval().questions() == ExperimentConfig.QuestionSplit.HELD_OUT ? Questions.train(cat).size() : 0;
    }

    /** What trains one student: writes its files into the stage folder and what it did into the manifest. */
    @FunctionalInterface
    interface StudentJob {
        Models.Model train(Path dir, Manifest man, Map<String, Object> provenance, Models.StepProgress steps) throws IOException;
    }

    /**
     * A student stage: {@code job} trains it (in process or as a server's fine-tuning job), {@code evaluate}
     * evaluates it (e.g. once per question category, each in {@code name/<label>.json}; the first is the one the log
     * line shows), and the manifest is written last (so a kill mid-way leaves the stage to rerun).
     */
    Map<String, EvalRecord> students(String name, String key, String baseKey, int rows, StudentLoss mode, StudentJob job,
                                     Map<String, String> lineage, Map<String, Object> extra,
                                     Function<Models.Model, Map<String, EvalRecord>> evaluate,
                                     java.util.function.Consumer<Models.Model> release, String what) throws IOException {
        Path dir = dir(name);
        if (StageCache.done(dir, key)) {
            reused.incrementAndGet();
            Map<String, Object> man = Manifest.read(dir);
            if (onReusedStudent != null) onReusedStudent.accept(name, man);
            Map<String, Object> outs = (Map<String, Object>) man.get("outputs");
            Map<String, EvalRecord> r = new LinkedHashMap<>();
            for (String f : outs.keySet()) {
                if (f.endsWith(".json")) r.put(f.substring(0, f.length() - 5), EvalRecord.read(dir.resolve(f)));
            }
            return r;
        }
        starting(name);
        long t0 = System.nanoTime();
        java.nio.file.Files.createDirectories(dir);
        Manifest man = new Manifest("finetune", key, ConfigLoader.toMap(cfg.finetune()), Seeds.derive(cfg.seed(), name))
                .input("base", baseKey);
        lineage.forEach(man::input);
        man.put("mode", mode);
        extra.forEach(man::put);
        man.count("rows", rows);
        Map<String, Object> prov = new LinkedHashMap<>();
        prov.put("made_by", "owlet finetune");
        prov.put("parent", baseKey);
        prov.put("mode", mode);
        prov.putAll(extra);
        prov.put("rows", rows);
        prov.put("data_sha256", lineage.get("data"));
        prov.put("data_writer_weights", lineage.get("data_writer"));
        Models.Model student;
        try (StageProgress.Ticker t = progress.start(name, "steps")) { // closed before the stage's log line
            student = job.train(dir, man, prov, t::update);
        }
        try {
            Map<String, EvalRecord> evals = evaluate.apply(student);
            for (var e : evals.entrySet()) {
                Path f = dir.resolve(e.getKey() + ".json");
                e.getValue().write(f);
                man.output(e.getKey() + ".json", f);
            }
            EvalRecord first = evals.values().iterator().next();
            man.count("mean_exact", first.meanExact()).count("mean_sampled", first.meanSampled())
                    .write(dir, System.nanoTime() - t0);
            log.printf("finetune: %s  %s  (%.0fs)%n", name, what.formatted(first.meanExact(), 100 * first.meanSampled()),
                    (System.nanoTime() - t0) / 1e9);
            finished(name);
            return evals;
        } finally {
            release.accept(student);
        }
    }

    /** Called with a finished student stage's name and manifest when it is reused (a server records its job). */
    java.util.function.BiConsumer<String, Map<String, Object>> onReusedStudent;
}
