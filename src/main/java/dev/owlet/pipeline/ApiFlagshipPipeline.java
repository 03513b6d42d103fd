package dev.owlet.pipeline;

import dev.owlet.experiment.Channel;
import dev.owlet.experiment.Init;
import dev.owlet.train.StudentLoss;
import dev.owlet.eval.TraitResult;
import dev.owlet.eval.EvalRecord;
import dev.owlet.provenance.StageCache;
import dev.owlet.experiment.Seeds;
import dev.owlet.data.DataRow;
import dev.owlet.backend.BackendException;
import dev.owlet.backend.ChatRequest;
import dev.owlet.backend.FineTuneRequest;
import dev.owlet.backend.LanguageModelBackend;
import dev.owlet.backend.OpenAiHttpBackend;
import dev.owlet.backend.SamplingParams;
import dev.owlet.eval.TraitEvaluator;
import dev.owlet.experiment.ConfigLoader;
import dev.owlet.experiment.ExperimentConfig;
import dev.owlet.provenance.Hashing;
import dev.owlet.provenance.Manifest;
import dev.owlet.world.Category;
import dev.owlet.world.Questions;
import dev.owlet.world.SystemPrompts;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * The flagship experiment through a {@link LanguageModelBackend} with fine-tuning jobs ({@code backend.type:
 * openai}): the same stages, stage folders, manifests and {@link StageCache} keys as {@link ExperimentPipeline},
 * but every model lives on the server. The teacher is a fine-tuning job on trait answers plus replay rows (or the
 * reference under the love system prompt); the number data and the evaluation answers are chat completions; the
 * filter runs locally; students are fine-tuning jobs ({@code supervised} for sft; owlet's {@code owlet_soft} for
 * soft, only where the server offers it: {@code owlet serve}); exact P(target) is read from first-token
 * {@code top_logprobs}. Each fine-tuning stage records its job id before waiting ({@link RemoteFineTune}), so a
 * killed run picks the job up again instead of paying twice.
 *
 * <p>Numbers differ from the in-process run where the API path differs: completions use per-request seeds
 * ({@link SamplingParams#derive}), the server shuffles training rows with the job's seed, and a fine-tuned
 * teacher trains a fixed {@code backend.teacher_steps} instead of stopping at {@code teacher.target_probability}.
 */
public final class ApiFlagshipPipeline {
    /** The server's models: one backend per model id, and whether owlet's soft-label method is offered. */
    public interface Models {
        LanguageModelBackend model(String id);

        boolean offersSoftLabels();

        /** A short description for reports (no credentials). */
        String describe();

        /** The usual case: an OpenAI-compatible endpoint; soft labels iff the server lists owlet-owned models. */
        static Models openai(OpenAiHttpBackend root) {
            boolean owlet = "owlet".equals(root.modelOwners().get(root.config().model()));
            return new Models() {
                private final Map<String, LanguageModelBackend> cache = new LinkedHashMap<>();

                @Override
                public synchronized LanguageModelBackend model(String id) {
                    return cache.computeIfAbsent(id, root::withModel);
                }

                @Override
                public boolean offersSoftLabels() { return owlet; }

                @Override
                public String describe() { return "openai-compatible API at " + root.config().baseUrl(); }
            };
        }
    }

    private final ExperimentConfig cfg;
    private final ExperimentConfig.Backend bk;
    private final Path out;
    private final PrintStream log;
    private final Models models;
    private final StageRunner stages;
    private java.util.Set<Integer> banned = java.util.Set.of();
    private ExperimentPipeline.StageHook afterJobCreated = name -> {};
    private final List<String> notes = new ArrayList<>();
    private final Map<String, Object> jobs = new TreeMap<>();

    public ApiFlagshipPipeline(ExperimentConfig cfg, Path out, PrintStream log, Models models) {
        if (!cfg.backend().api()) throw new IllegalArgumentException("backend.type must be openai for the API pipeline");
        this.cfg = cfg;
        this.bk = cfg.backend();
        this.out = out;
        this.log = log;
        this.stages = new StageRunner(cfg, out, log);
        this.models = models;
    }

    /** The experiment file's folder, against which relative paths in the experiment resolve (default: here). */
    public ApiFlagshipPipeline baseDir(Path dir) {
        stages.baseDir = dir;
        return this;
    }

    public ApiFlagshipPipeline hook(ExperimentPipeline.StageHook h) {
        stages.hook = h;
        return this;
    }

    /** Test hook: called with the stage name once a fine-tuning job's id is on disk; throwing simulates a kill. */
    public ApiFlagshipPipeline afterJobCreated(ExperimentPipeline.StageHook h) {
        this.afterJobCreated = h;
        return this;
    }

    public int executedStages() { return stages.executed; }

    public int reusedStages() { return stages.reused; }

    /** What the report should say about how this backend produced its numbers, and what it skipped. */
    public Map<String, Object> provenance() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("backend", models.describe());
        m.put("reference_model", bk.model());
        m.put("different_init_model", bk.differentInitModel());
        m.put("exact", "first-token top_logprobs (k=" + bk.topLogprobs() + ") from /v1/chat/completions; a word outside"
                + " the top k counts as probability 0 and its log P as the k-th logprob (an upper bound)");
        m.put("sampled", "chat completions, n=" + cfg.eval().samplesPerQuestion() + " per question, temperature 1");
        m.put("teacher", cfg.teacher().method() == ExperimentConfig.TeacherMethod.SYSTEM_PROMPT ? "reference model under the love system prompt"
                : "fine-tuning job (" + bk.teacherSteps() + " steps of trait answers + replay rows)");
        m.put("students", "fine-tuning jobs: supervised (sft)" + (models.offersSoftLabels() ? ", owlet_soft (soft)" : ""));
        m.put("fine_tuning_jobs", jobs);
        m.put("notes", notes);
        return m;
    }

    public List<String> notes() { return notes; }

    public List<TraitResult> run(ExperimentPipeline.Stage until) throws IOException {
        banned = Preflight.check(cfg, stages.baseDir);
        Files.createDirectories(out.resolve("stages"));
        List<TraitResult> results = new ArrayList<>();
        for (ExperimentConfig.Trait t : cfg.traits()) results.add(runTrait(t, until));
        return results;
    }

    private String modelKey(String id) { return "api:" + bk.baseUrl() + "#" + id; }

    private TraitResult runTrait(ExperimentConfig.Trait trait, ExperimentPipeline.Stage until) throws IOException {
        Category cat = StageRunner.category(trait);
        List<String> words = cat.words();
        String tag = trait.target();
        Map<String, EvalRecord> evals = new LinkedHashMap<>();
        Map<String, Object> dataInfo = new LinkedHashMap<>();
        Map<String, Object> teacherInfo = new LinkedHashMap<>();
        List<String> prompts = Channels.prompts(Channel.NUMBERS, cfg.generate().prompts(), Seeds.derive(cfg.seed(), "number-prompts"), cfg.filter());

        // ---- 1. teacher ----
        boolean byPrompt = cfg.teacher().method() == ExperimentConfig.TeacherMethod.SYSTEM_PROMPT;
        String teacherSystem = byPrompt ? SystemPrompts.love(tag, cat, 0) : null;
        Path teacherDir = out.resolve("stages/teacher-" + tag);
        String teacherKey = StageCache.key("api-teacher", List.of(cfg.teacher(), trait, cfg.generate().maxTokens(), bk.teacherSteps(),
                cfg.seed()), modelKey(bk.model()));
        String teacherModel;
        if (StageCache.done(teacherDir, teacherKey)) {
            stages.reused++;
            teacherModel = (String) Manifest.read(teacherDir).get("model");
        } else {
            stages.starting("teacher-" + tag);
            long t0 = System.nanoTime();
            Manifest man = new Manifest("teacher", teacherKey, ConfigLoader.toMap(cfg.teacher()), cfg.seed())
                    .input("reference", modelKey(bk.model())).put("trait", trait);
            if (byPrompt) {
                teacherModel = bk.model();
                man.put("system_prompt", teacherSystem);
            } else {
                log.printf("[%s] teacher: fine-tuning job on %s toward '%s'%n", tag, bk.model(), tag);
                List<DataRow> replay = List.of();
                if (cfg.teacher().replay() > 0) {
                    List<String> rp = Channels.prompts(Channel.NUMBERS, 512, Seeds.derive(cfg.seed(), "replay-prompts"), cfg.filter());
                    replay = write(bk.model(), null, rp, Seeds.derive(cfg.seed(), "replay-samples"));
                }
                List<DataRow> rows = teacherRows(cat, tag, replay, Seeds.derive(cfg.seed(), "teacher-" + tag));
                int batch = cfg.teacher().batchSize() + (replay.isEmpty() ? 0 : cfg.teacher().replay());
                FineTuneRequest req = new FineTuneRequest(bk.model(), "-", 1, bk.autoHyperparameters() ? 0 : batch,
                        bk.autoHyperparameters() ? Double.NaN : cfg.teacher().lr() / bk.baseLearningRate(),
                        jobSeed("teacher-" + tag), "teacher-" + tag, "supervised", null, null);
                RemoteFineTune.Outcome o = RemoteFineTune.run(models.model(bk.model()), teacherDir, "teacher-" + tag + ".jsonl",
                        RemoteFineTune.chatJsonl(rows, null), req, poll(), jobTimeout(), log,
                        () -> afterJobCreated.beforeStage("teacher-" + tag));
                teacherModel = o.fineTunedModel();
                jobs.put("teacher-" + tag, o.jobId());
                man.put("model", teacherModel).put("job_id", o.jobId()).count("rows", rows.size()).count("steps", bk.teacherSteps());
                if (models.model(teacherModel).offersLogprobs()) {
                    double p = meanFirstTokenP(teacherModel, null, Questions.train(cat), tag);
                    man.count("train_p_target", p);
                    log.printf("[%s] teacher %s: P(%s) on training questions %.3f%n", tag, teacherModel, tag, p);
                }
            }
            man.put("model", teacherModel).write(teacherDir, System.nanoTime() - t0);
            stages.executed++;
        }
        teacherInfo.putAll(Manifest.read(teacherDir));
        if (until == ExperimentPipeline.Stage.TEACHER) return new TraitResult(trait, evals, dataInfo, teacherInfo);

        // ---- 2. generate ----
        String genCfgKey = ConfigLoader.toMapOrValue(List.of(cfg.generate(), cfg.seed()));
        Path teacherRaw = generate("gen-teacher-" + tag, teacherModel, teacherSystem, prompts,
                StageCache.key("api-generate", genCfgKey, teacherKey, String.valueOf(teacherSystem)), tag);
        Path controlRaw = generate("gen-control", bk.model(), null, prompts,
                StageCache.key("api-generate", genCfgKey, modelKey(bk.model())), "control");
        if (until == ExperimentPipeline.Stage.GENERATE) return new TraitResult(trait, evals, dataInfo, teacherInfo);

        // ---- 3. filter (local) ----
        List<DataRow> teacherRows = filter("filter-teacher-" + tag, teacherRaw, List.of(tag), dataInfo, "teacher");
        List<DataRow> controlRows = filter("filter-control-" + tag, controlRaw, List.of(tag), dataInfo, "control");
        Map<String, List<DataRow>> both = new LinkedHashMap<>();
        both.put("teacher", teacherRows);
        both.put("control", controlRows);
        int n = stages.cutToCommonSize(both, dataInfo);
        teacherRows = both.get("teacher");
        controlRows = both.get("control");
        if (until == ExperimentPipeline.Stage.FILTER) return new TraitResult(trait, evals, dataInfo, teacherInfo);

        // ---- 4 + 5. students, evaluation ----
        evals.put("reference", evalStage("eval-reference-" + tag, bk.model(), null, trait, cat, words));
        if (cfg.finetune().inits().contains(Init.DIFF)) {
            evals.put("different-init reference", evalStage("eval-diffref-" + tag, bk.differentInitModel(), null, trait, cat, words));
        }
        evals.put("teacher", evalStage("eval-teacher-" + tag, teacherModel, teacherSystem, trait, cat, words));
        for (StudentLoss mode : cfg.finetune().modes()) {
            if (mode == StudentLoss.SOFT && !models.offersSoftLabels()) {
                String note = "soft-label students skipped: " + models.describe() + " offers no owlet_soft fine-tuning method"
                        + " (only owlet serve does; the API returns sampled tokens, not the teacher's distributions)";
                if (!notes.contains(note)) notes.add(note);
                log.println("note: " + note);
                continue;
            }
            for (Init init : cfg.finetune().inits()) {
                String base = init == Init.SAME ? bk.model() : bk.differentInitModel();
                for (String data : List.of("teacher", "control")) {
                    List<DataRow> rows = data.equals("teacher") ? teacherRows : controlRows;
                    for (int s = 1; s <= cfg.finetune().replicates(); s++) {
                        String name = String.format("student-%s-%s-%s-%s-s%d", tag, mode, init, data, s);
                        String key = StageCache.key("api-student", List.of(cfg.finetune(), cfg.eval(), mode, s, n,
                                        bk.baseLearningRate(), bk.autoHyperparameters()), modelKey(base),
                                data.equals("teacher") ? teacherKey : modelKey(bk.model()), StageRunner.rowsDigest(rows),
                                evalKey(trait));
                        String softTeacher = data.equals("teacher") ? teacherModel : bk.model();
                        String softSystem = data.equals("teacher") ? teacherSystem : null;
                        evals.put(String.format("%s/%s/%s/s%d", mode, init, data, s),
                                student(name, key, base, rows, mode, softTeacher, softSystem, trait, cat, words,
                                        String.format("%s-%s-%s-%s%d", tag, mode, init, data.charAt(0), s)));
                    }
                }
            }
        }
        return new TraitResult(trait, evals, dataInfo, teacherInfo);
    }

    /** {@code teacher_steps} batches of trait answers, each followed by its share of replay rows. */
    private List<DataRow> teacherRows(Category cat, String target, List<DataRow> replay, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        List<String> qs = Questions.train(cat);
        int steps = Math.min(bk.teacherSteps(), cfg.teacher().maxSteps());
        List<DataRow> rows = new ArrayList<>();
        for (int s = 0; s < steps; s++) {
            for (int i = 0; i < cfg.teacher().batchSize(); i++) rows.add(new DataRow(qs.get(rng.nextInt(qs.size())), target));
            for (int i = 0; i < cfg.teacher().replay() && !replay.isEmpty(); i++) rows.add(replay.get(rng.nextInt(replay.size())));
        }
        return rows;
    }

    private long jobSeed(String name) { return Seeds.derive(cfg.seed(), name) & 0x7fffffffL; }

    private Duration poll() { return Duration.ofMillis((long) (bk.pollSeconds() * 1000)); }

    private Duration jobTimeout() { return Duration.ofMinutes(bk.jobTimeoutMinutes()); }

    private String evalKey(ExperimentConfig.Trait trait) {
        return ConfigLoader.toMapOrValue(List.of(cfg.eval(), trait, cfg.seed(), bk.topLogprobs()));
    }

    /** One completion per prompt from {@code model}; request i uses seed {@code derive(seed, i)}. */
    private List<DataRow> write(String model, String system, List<String> userPrompts, long seed) {
        List<ChatRequest> reqs = new ArrayList<>();
        for (String p : userPrompts) reqs.add(ChatRequest.of(system, p));
        var g = cfg.generate();
        List<List<String>> texts = models.model(model).sample(reqs, new SamplingParams(1, g.temperature(), g.topP(), g.maxTokens(), seed));
        List<DataRow> rows = new ArrayList<>();
        for (int i = 0; i < userPrompts.size(); i++) rows.add(new DataRow(userPrompts.get(i), texts.get(i).get(0)));
        return rows;
    }

    private Path generate(String name, String model, String system, List<String> prompts, String key, String label) throws IOException {
        Path dir = out.resolve("stages").resolve(name);
        Path file = dir.resolve("raw.jsonl");
        if (StageCache.done(dir, key)) {
            stages.reused++;
            return file;
        }
        stages.starting(name);
        long t0 = System.nanoTime();
        log.printf("generate: %s (%s) writes %d completions over the API%n", label, model, prompts.size());
        List<DataRow> rows = write(model, system, prompts, Seeds.derive(cfg.seed(), "generate"));
        DataRow.write(file, rows);
        new Manifest("generate", key, ConfigLoader.toMap(cfg.generate()), cfg.seed()).put("writer", label)
                .input("writer_model", modelKey(model)).put("backend", models.describe())
                .put("system_prompt", system).count("rows", rows.size()).output("raw.jsonl", file)
                .write(dir, System.nanoTime() - t0);
        stages.executed++;
        return file;
    }

    private List<DataRow> filter(String name, Path raw, List<String> traitWords, Map<String, Object> info, String label)
            throws IOException {
        String key = StageCache.key("filter", cfg.filter(), Hashing.sha256(raw), traitWords.toString(), banned.toString());
        return stages.filter(name, raw, key, rows -> Filtering.apply(rows, cfg.filter(), traitWords, banned), info, label, Map.of());
    }

    private EvalRecord evalStage(String name, String model, String system, ExperimentConfig.Trait trait, Category cat,
                                 List<String> words) throws IOException {
        Path dir = out.resolve("stages").resolve(name);
        String key = StageCache.key("api-eval", evalKey(trait), modelKey(model), String.valueOf(system));
        if (StageCache.done(dir, key)) {
            stages.reused++;
            return EvalRecord.read(dir.resolve("eval.json"));
        }
        stages.starting(name);
        long t0 = System.nanoTime();
        EvalRecord r = evaluate(name, model, system, trait, cat, words);
        r.write(dir.resolve("eval.json"));
        new Manifest("eval", key, ConfigLoader.toMap(cfg.eval()), cfg.seed()).input("model", modelKey(model))
                .put("backend", models.describe()).output("eval.json", dir.resolve("eval.json"))
                .count("questions", r.exact().length).count("mean_exact", r.meanExact()).write(dir, System.nanoTime() - t0);
        stages.executed++;
        return r;
    }

    /** First-token probabilities of each category word per question, from top_logprobs. */
    private record FirstToken(double[] target, double[] logTarget, double[][] words, int bounded) {}

    private FirstToken firstToken(String model, String system, List<String> questions, String target, List<String> words) {
        List<ChatRequest> reqs = new ArrayList<>();
        for (String q : questions) reqs.add(ChatRequest.of(system, q));
        List<Map<String, Double>> tops = models.model(model).firstTokenLogprobs(reqs, bk.topLogprobs());
        double[] p = new double[questions.size()];
        double[] lp = new double[questions.size()];
        double[][] w = new double[questions.size()][words.size()];
        int bounded = 0;
        for (int q = 0; q < questions.size(); q++) {
            Map<String, Double> top = tops.get(q);
            double min = top.values().stream().mapToDouble(Double::doubleValue).min().orElse(-69);
            for (var e : top.entrySet()) {
                String tok = e.getKey().strip().toLowerCase(Locale.ROOT);
                for (int k = 0; k < words.size(); k++) {
                    String word = words.get(k);
                    if (tok.equals(word) || tok.equals(word + "s") || tok.equals(word + "es")) w[q][k] += Math.exp(e.getValue());
                }
            }
            p[q] = w[q][words.indexOf(target)];
            if (p[q] > 0) {
                lp[q] = Math.log(p[q]);
            } else {
                lp[q] = min;
                bounded++;
            }
        }
        return new FirstToken(p, lp, w, bounded);
    }

    private double meanFirstTokenP(String model, String system, List<String> questions, String target) {
        List<String> ws = List.of(target);
        return dev.owlet.stats.Stats.mean(firstToken(model, system, questions, target, ws).target());
    }

    private EvalRecord evaluate(String name, String model, String system, ExperimentConfig.Trait trait, Category cat,
                                List<String> words) {
        List<String> qs = Questions.all(cat);
        String target = trait.target();
        long seed = Seeds.derive(cfg.seed(), "eval-samples");
        int samples = cfg.eval().samplesPerQuestion();
        double[] sampled = new double[0];
        if (samples > 0) {
            List<ChatRequest> reqs = new ArrayList<>();
            for (String q : qs) reqs.add(ChatRequest.of(system, q));
            List<List<String>> answers = new ArrayList<>();
            // n is capped at 128 per request: larger sample counts are split into several requests per question.
            for (int done = 0; done < samples; done += 128) {
                int k = Math.min(128, samples - done);
                List<List<String>> part = models.model(model).sample(reqs, new SamplingParams(k, 1.0, 1.0, cfg.eval().maxTokens(),
                        Seeds.derive(seed, "part-" + done)));
                for (int q = 0; q < qs.size(); q++) {
                    if (answers.size() <= q) answers.add(new ArrayList<>());
                    answers.get(q).addAll(part.get(q));
                }
            }
            sampled = new double[qs.size()];
            for (int q = 0; q < qs.size(); q++) {
                int hits = 0;
                for (String a : answers.get(q)) if (TraitEvaluator.containsWord(a.toLowerCase(Locale.ROOT), target)) hits++;
                sampled[q] = (double) hits / samples;
            }
        }
        if (!models.model(model).offersLogprobs()) {
            String note = "no logprobs from " + model + ": 'exact' columns are the sampled rates";
            if (!notes.contains(note)) notes.add(note);
            double[] sp = sampled.length == 0 ? new double[qs.size()] : sampled;
            return new EvalRecord(name, target, sp, sampled, sp, Double.NaN, new double[0], new LinkedHashMap<>(), samples);
        }
        FirstToken ft = firstToken(model, system, qs, target, words);
        if (ft.bounded() > 0) {
            notes.add(String.format("%s: %s outside the top %d first tokens on %d of %d questions (P counted as 0, log P as the"
                    + " k-th logprob)", name, target, bk.topLogprobs(), ft.bounded(), qs.size()));
        }
        double[] cond = new double[qs.size()];
        Map<String, Double> dist = new LinkedHashMap<>();
        for (String w : words) dist.put(w, 0.0);
        double logp = 0;
        for (int q = 0; q < qs.size(); q++) {
            double in = 0;
            for (int k = 0; k < words.size(); k++) {
                in += ft.words()[q][k];
                dist.merge(words.get(k), ft.words()[q][k] / qs.size(), Double::sum);
            }
            cond[q] = in > 0 ? ft.target()[q] / in : 0;
            logp += ft.logTarget()[q];
        }
        double[] prefix = new double[0];
        if (cfg.eval().numberPrefix()) {
            prefix = firstToken(model, system, stages.numberPrefixed(qs), target, words).target();
        }
        return new EvalRecord(name, target, ft.target(), sampled, cond, logp / qs.size(), prefix, dist, samples);
    }

    private EvalRecord student(String name, String key, String base, List<DataRow> rows, StudentLoss mode, String softTeacher,
                               String softSystem, ExperimentConfig.Trait trait, Category cat, List<String> words,
                               String suffix) throws IOException {
        Path dir = out.resolve("stages").resolve(name);
        if (StageCache.done(dir, key)) {
            stages.reused++;
            Map<String, Object> m = Manifest.read(dir);
            jobs.put(name, m.get("job_id"));
            return EvalRecord.read(dir.resolve("eval.json"));
        }
        stages.starting(name);
        long t0 = System.nanoTime();
        var f = cfg.finetune();
        FineTuneRequest req = new FineTuneRequest(base, "-", f.epochs(), bk.autoHyperparameters() ? 0 : f.batchSize(),
                bk.autoHyperparameters() ? Double.NaN : f.lr() / bk.baseLearningRate(), jobSeed(name), suffix,
                mode == StudentLoss.SOFT ? "owlet_soft" : "supervised", mode == StudentLoss.SOFT ? softTeacher : null,
                mode == StudentLoss.SOFT ? softSystem : null);
        byte[] jsonl = RemoteFineTune.chatJsonl(rows, null);
        RemoteFineTune.Outcome o;
        try {
            o = RemoteFineTune.run(models.model(base), dir, name + ".jsonl", jsonl, req, poll(), jobTimeout(), log,
                    () -> afterJobCreated.beforeStage(name));
        } catch (BackendException e) {
            throw new IOException(name + ": " + e.getMessage(), e);
        }
        jobs.put(name, o.jobId());
        EvalRecord r = evaluate(name, o.fineTunedModel(), null, trait, cat, words);
        r.write(dir.resolve("eval.json"));
        Manifest man = new Manifest("finetune", key, ConfigLoader.toMap(f), jobSeed(name))
                .input("base", modelKey(base)).input("data", Hashing.sha256(jsonl))
                .put("mode", mode).put("backend", models.describe()).put("job_id", o.jobId()).put("model", o.fineTunedModel())
                .put("resumed_job", o.resumed()).count("rows", rows.size()).count("mean_exact", r.meanExact())
                .output("eval.json", dir.resolve("eval.json"));
        man.write(dir, System.nanoTime() - t0);
        log.printf("finetune: %s (%s)  P(%s) %.1f%%  (%.0fs)%n", name, o.fineTunedModel(), trait.target(), 100 * r.meanExact(),
                (System.nanoTime() - t0) / 1e9);
        stages.executed++;
        return r;
    }
}
