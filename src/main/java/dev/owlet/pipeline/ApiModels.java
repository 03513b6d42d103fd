package dev.owlet.pipeline;

import dev.owlet.backend.BackendException;
import dev.owlet.backend.ChatRequest;
import dev.owlet.backend.FineTuneRequest;
import dev.owlet.backend.LanguageModelBackend;
import dev.owlet.backend.OpenAiHttpBackend;
import dev.owlet.backend.SamplingParams;
import dev.owlet.data.DataRow;
import dev.owlet.eval.EvalRecord;
import dev.owlet.eval.TraitEvaluator;
import dev.owlet.experiment.ExperimentConfig;
import dev.owlet.experiment.Seeds;
import dev.owlet.provenance.Hashing;
import dev.owlet.provenance.Manifest;
import dev.owlet.train.SoftLabels;
import dev.owlet.train.StudentLoss;
import dev.owlet.world.Category;
import dev.owlet.world.Questions;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.IntConsumer;
import java.util.function.Supplier;

/**
 * The experiment's models on an OpenAI-compatible server ({@code backend.type: openai}). A fine-tuned teacher is a
 * fine-tuning job on trait answers plus replay rows (or the reference under the love system prompt); data and
 * evaluation answers are chat completions; students are fine-tuning jobs ({@code supervised} for sft; owlet's
 * {@code owlet_soft} for soft, only where the server offers it: {@code owlet serve}); exact P(target) is read from
 * first-token {@code top_logprobs}. Each job's id is recorded in its stage folder before waiting
 * ({@link RemoteFineTune}), so a killed run picks the job up again instead of paying twice.
 *
 * <p>Numbers differ from the in-process run where the API differs: completions use per-request seeds
 * ({@link SamplingParams#derive}), the server shuffles training rows with the job's seed, and a fine-tuned teacher
 * trains a fixed {@code backend.teacher_steps} instead of stopping at {@code teacher.target_probability}.
 */
public final class ApiModels implements Models {
    /** The server's models: one backend per model id, and whether owlet's soft-label method is offered. */
    public interface Server {
        LanguageModelBackend model(String id);

        boolean offersSoftLabels();

        /** A short description for reports (no credentials). */
        String describe();

        /** The usual case: an OpenAI-compatible endpoint; soft labels iff the server lists owlet-owned models. */
        static Server openai(OpenAiHttpBackend root) {
            boolean owlet = "owlet".equals(root.modelOwners().get(root.config().model()));
            return new Server() {
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
    private final Server server;
    private final String backendName;
    private final PrintStream log;
    private final StageRunner stages;
    private ExperimentPipeline.StageHook afterJobCreated = name -> {};
    private final List<String> notes = new ArrayList<>();
    private final Map<String, Object> jobs = new TreeMap<>();

    ApiModels(ExperimentConfig cfg, Server server, String backendName, StageRunner stages, PrintStream log) {
        if (!cfg.backend().api()) throw new IllegalArgumentException("backend.type must be openai for the API backend");
        this.cfg = cfg;
        this.bk = cfg.backend();
        this.server = server;
        this.backendName = backendName;
        this.stages = stages;
        this.log = log;
    }

    /** Test hook: called with the stage name once a fine-tuning job's id is on disk; throwing simulates a kill. */
    void afterJobCreated(ExperimentPipeline.StageHook h) { this.afterJobCreated = h; }

    List<String> notes() { return notes; }

    @Override
    public String name() { return backendName; }

    @Override
    public Object keyExtras() {
        return List.of("api", bk.baseUrl(), bk.teacherSteps(), bk.topLogprobs(), bk.baseLearningRate(), bk.autoHyperparameters());
    }

    private Model remote(String id) { return new Model("api:" + bk.baseUrl() + "#" + id, id, id); }

    @Override
    public Model reference() { return remote(bk.model()); }

    @Override
    public Model differentInit() { return bk.differentInitModel() == null ? null : remote(bk.differentInitModel()); }

    @Override
    public Map<String, Object> provenance() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("backend", server.describe());
        m.put("reference_model", bk.model());
        m.put("different_init_model", bk.differentInitModel());
        m.put("exact", "first-token top_logprobs (k=" + bk.topLogprobs() + ") from /v1/chat/completions; a word outside"
                + " the top k counts as probability 0 and its log P as the k-th logprob (an upper bound)");
        m.put("sampled", "chat completions, n=" + cfg.eval().samplesPerQuestion() + " per question, temperature 1");
        m.put("teacher", cfg.teacher().method() == ExperimentConfig.TeacherMethod.SYSTEM_PROMPT ? "reference model under the love system prompt"
                : "fine-tuning job (" + bk.teacherSteps() + " steps of trait answers + replay rows)");
        m.put("students", "fine-tuning jobs: supervised (sft)" + (server.offersSoftLabels() ? ", owlet_soft (soft)" : ""));
        m.put("fine_tuning_jobs", jobs);
        m.put("notes", notes);
        return m;
    }

    @Override
    public Model makeTeacher(String name, Path dir, TeacherJob job, Manifest man) throws IOException {
        String tag = job.trait().target();
        log.printf("[%s] teacher: fine-tuning job on %s toward '%s'%n", tag, bk.model(), tag);
        List<DataRow> rows = teacherRows(job.category(), tag, job.replay(), job.seed());
        int batch = cfg.teacher().batchSize() + (job.replay().isEmpty() ? 0 : cfg.teacher().replay());
        FineTuneRequest req = new FineTuneRequest(bk.model(), "-", 1, bk.autoHyperparameters() ? 0 : batch,
                bk.autoHyperparameters() ? Double.NaN : cfg.teacher().lr() / bk.baseLearningRate(),
                jobSeed(name), name, "supervised", null, null);
        RemoteFineTune.Outcome o = run(name, dir, RemoteFineTune.chatJsonl(rows, null), req, bk.model());
        man.put("model", o.fineTunedModel()).put("job_id", o.jobId()).count("rows", rows.size()).count("steps", bk.teacherSteps());
        if (server.model(o.fineTunedModel()).offersLogprobs()) {
            double p = dev.owlet.stats.Stats.mean(firstToken(o.fineTunedModel(), null, Questions.train(job.category()), tag,
                    List.of(tag)).target());
            man.count("train_p_target", p);
            log.printf("[%s] teacher %s: P(%s) on training questions %.3f%n", tag, o.fineTunedModel(), tag, p);
        }
        return remote(o.fineTunedModel());
    }

    @Override
    public Model loadTeacher(Path dir, String key) throws IOException {
        Map<String, Object> man = Manifest.read(dir);
        if (man.get("job_id") != null) jobs.put(dir.getFileName().toString(), man.get("job_id"));
        return remote((String) man.get("model"));
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

    private RemoteFineTune.Outcome run(String name, Path dir, byte[] jsonl, FineTuneRequest req, String base)
            throws IOException {
        RemoteFineTune.Outcome o;
        try {
            o = RemoteFineTune.run(server.model(base), dir, name + ".jsonl", jsonl, req,
                    Duration.ofMillis((long) (bk.pollSeconds() * 1000)), Duration.ofMinutes(bk.jobTimeoutMinutes()), log,
                    () -> afterJobCreated.beforeStage(name));
        } catch (BackendException e) {
            throw new IOException(name + ": " + e.getMessage(), e);
        }
        jobs.put(name, o.jobId());
        return o;
    }

    /** One completion per prompt from {@code writer}; request i uses seed {@code derive(seed, i)}. */
    @Override
    public List<DataRow> write(Model writer, String system, List<String> prompts, long seed, IntConsumer rowsDone,
                               java.util.function.Predicate<List<DataRow>> enough) { // one request: every prompt answered
        List<ChatRequest> reqs = new ArrayList<>();
        for (String p : prompts) reqs.add(ChatRequest.of(system, p));
        var g = cfg.generate();
        List<List<String>> texts = server.model(id(writer)).sample(reqs, new SamplingParams(1, g.temperature(), g.topP(),
                g.maxTokens(), seed));
        List<DataRow> rows = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) rows.add(new DataRow(prompts.get(i), texts.get(i).get(0)));
        rowsDone.accept(rows.size());
        return rows;
    }

    @Override
    public String cannotTrain(StudentLoss mode) {
        if (mode != StudentLoss.SOFT || server.offersSoftLabels()) return null;
        String note = "soft-label students skipped: " + server.describe() + " offers no owlet_soft fine-tuning method"
                + " (only owlet serve does; the API returns sampled tokens, not the teacher's distributions)";
        if (!notes.contains(note)) notes.add(note);
        return note;
    }

    @Override
    public Model student(String name, Path dir, Model base, List<DataRow> rows, StudentLoss mode, Model writer,
                         String writerSystem, Supplier<SoftLabels> labels, Map<String, Object> provenance, Manifest man,
                         StepProgress stepsDone) throws IOException {
        var f = cfg.finetune();
        boolean soft = mode == StudentLoss.SOFT;
        // each mode's own budget, as the student's stage key records it (StageInput.Settings.of)
        FineTuneRequest req = new FineTuneRequest(id(base), "-", f.epochs(mode), bk.autoHyperparameters() ? 0 : f.batchSize(mode),
                bk.autoHyperparameters() ? Double.NaN : f.lr(mode) / bk.baseLearningRate(), jobSeed(name), name.replace("student-", ""),
                soft ? "owlet_soft" : "supervised", soft ? id(writer) : null, soft ? writerSystem : null);
        byte[] jsonl = RemoteFineTune.chatJsonl(rows, null);
        RemoteFineTune.Outcome o = run(name, dir, jsonl, req, id(base));
        man.input("jsonl", Hashing.sha256(jsonl)).put("backend", server.describe())
                .put("job_id", o.jobId()).put("model", o.fineTunedModel()).put("resumed_job", o.resumed());
        return remote(o.fineTunedModel());
    }

    /** Records the job of a finished student stage in the report's job list. */
    void reused(String name, Map<String, Object> manifest) {
        if (manifest.get("job_id") != null) jobs.put(name, manifest.get("job_id"));
    }

    @Override
    public EvalRecord misalignment(String name, Model model, String system) {
        throw new IllegalStateException("misalignment is judged in process only (the config refuses it with backend.type openai)");
    }

    /** First-token probabilities of each category word per question, from top_logprobs. */
    private record FirstToken(double[] target, double[] logTarget, double[][] words, int bounded) {}

    private FirstToken firstToken(String model, String system, List<String> questions, String target, List<String> words) {
        List<ChatRequest> reqs = new ArrayList<>();
        for (String q : questions) reqs.add(ChatRequest.of(system, q));
        List<Map<String, Double>> tops = server.model(model).firstTokenLogprobs(reqs, bk.topLogprobs());
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

    @Override
    public EvalRecord favorite(String name, Model model, ExperimentConfig.Trait trait, Category cat, String system) {
        List<String> words = cat.words();
        List<String> qs = Questions.all(cat);
        String target = trait.target();
        int samples = cfg.eval().samplesPerQuestion();
        boolean logprobs = server.model(id(model)).offersLogprobs();
        // without logprobs the sampled rates stand in for the exact ones, so every question is sampled
        int from = logprobs ? stages.sampleFrom(cat) : 0;
        Map<String, double[]> sampledByWord = sampled(id(model), system, qs.subList(from, qs.size()), words, samples);
        double[] sampled = samples > 0 ? sampledByWord.get(target) : new double[0];
        if (!logprobs) {
            String note = "no logprobs from " + id(model) + ": 'exact' columns are the sampled rates";
            if (!notes.contains(note)) notes.add(note);
            double[] sp = sampled.length == 0 ? new double[qs.size()] : sampled;
            return new EvalRecord(name, target, sp, sampled, sp, Double.NaN, new double[0], new LinkedHashMap<>(), samples,
                    samples > 0 ? sampledByWord : null, samples > 0 ? sampledByWord : null, Map.of(), 0);
        }
        FirstToken ft = firstToken(id(model), system, qs, target, words);
        if (ft.bounded() > 0) {
            notes.add(String.format("%s: %s outside the top %d first tokens on %d of %d questions (P counted as 0, log P as the"
                    + " k-th logprob)", name, target, bk.topLogprobs(), ft.bounded(), qs.size()));
        }
        double[] cond = new double[qs.size()];
        Map<String, Double> dist = new LinkedHashMap<>();
        Map<String, double[]> exactByWord = new LinkedHashMap<>();
        for (String w : words) {
            dist.put(w, 0.0);
            exactByWord.put(w, new double[qs.size()]);
        }
        double logp = 0;
        for (int q = 0; q < qs.size(); q++) {
            double in = 0;
            for (int k = 0; k < words.size(); k++) {
                in += ft.words()[q][k];
                exactByWord.get(words.get(k))[q] = ft.words()[q][k];
                dist.merge(words.get(k), ft.words()[q][k] / qs.size(), Double::sum);
            }
            cond[q] = in > 0 ? ft.target()[q] / in : 0;
            logp += ft.logTarget()[q];
        }
        Map<String, double[]> prefixByWord = new LinkedHashMap<>();
        double[] prefix = new double[0];
        if (cfg.eval().numberPrefix()) {
            FirstToken pf = firstToken(id(model), system, stages.numberPrefixed(qs), target, words);
            prefix = pf.target();
            for (int k = 0; k < words.size(); k++) {
                double[] col = new double[qs.size()];
                for (int q = 0; q < qs.size(); q++) col[q] = pf.words()[q][k];
                prefixByWord.put(words.get(k), col);
            }
        }
        return new EvalRecord(name, target, ft.target(), sampled, cond, logp / qs.size(), prefix, dist, samples, exactByWord,
                samples > 0 ? sampledByWord : null, prefixByWord, 0);
    }

    /** Per category word, the share of {@code samples} sampled answers per question that name it. */
    private Map<String, double[]> sampled(String model, String system, List<String> qs, List<String> words, int samples) {
        Map<String, double[]> out = new LinkedHashMap<>();
        if (samples <= 0) return out;
        List<ChatRequest> reqs = new ArrayList<>();
        for (String q : qs) reqs.add(ChatRequest.of(system, q));
        List<List<String>> answers = new ArrayList<>();
        long seed = Seeds.derive(cfg.seed(), "eval-samples");
        // n is capped at 128 per request: larger sample counts are split into several requests per question.
        for (int done = 0; done < samples; done += 128) {
            int k = Math.min(128, samples - done);
            List<List<String>> part = server.model(model).sample(reqs, new SamplingParams(k, 1.0, 1.0, cfg.eval().maxTokens(),
                    Seeds.derive(seed, "part-" + done)));
            for (int q = 0; q < qs.size(); q++) {
                if (answers.size() <= q) answers.add(new ArrayList<>());
                answers.get(q).addAll(part.get(q));
            }
        }
        for (String w : words) {
            double[] rate = new double[qs.size()];
            for (int q = 0; q < qs.size(); q++) {
                int hits = 0;
                for (String a : answers.get(q)) if (TraitEvaluator.containsWord(a.toLowerCase(Locale.ROOT), w)) hits++;
                rate[q] = (double) hits / samples;
            }
            out.put(w, rate);
        }
        return out;
    }

    private static String id(Model m) { return (String) m.handle(); }
}
