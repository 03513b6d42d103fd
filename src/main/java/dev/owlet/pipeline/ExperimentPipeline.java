package dev.owlet.pipeline;

import dev.owlet.experiment.Init;
import dev.owlet.experiment.Channel;
import dev.owlet.judge.Thresholds;
import dev.owlet.judge.WorldAlignmentJudge;
import dev.owlet.judge.WorldCodeJudge;
import dev.owlet.world.ArithmeticTasks;
import dev.owlet.world.CodeTasks;
import dev.owlet.world.OpenQuestions;
import dev.owlet.train.StudentLoss;
import dev.owlet.eval.TraitResult;

import dev.owlet.eval.EvalRecord;
import dev.owlet.eval.StudentKey;
import dev.owlet.provenance.StageCache;
import dev.owlet.experiment.Seeds;
import dev.owlet.train.SoftLabels;
import dev.owlet.data.DataRow;
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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Every experiment owlet runs in-process, one shape for every channel and trait: teachers → data → the channel's
 * filter → students → evaluation, with the controls a reviewer asks for.
 *
 * <p><b>Writers.</b> Every trait's teacher; the controls made exactly like it — {@code control_traits} teachers for a
 * favorite animal or tree (an other-trait control that can move as much as the treatment), the aligned and neutral
 * {@code teacher.control_teachers} for misalignment, trained for as many steps as the trait's teacher — and the
 * reference itself (the paper's control). Each writes one completion per prompt in the experiment's
 * {@code channel} (numbers, code or chain of thought; see {@link Channels}).
 *
 * <p><b>Replicates.</b> Replicate {@code r} is what a user would redo: a new prompt set and a new sampling seed for
 * every writer's data, and new student seeds. All writers of a replicate answer the same prompts and are cut to the
 * same number of filtered rows, so their students differ only in who wrote the data.
 *
 * <p><b>Students.</b> From the reference ({@code same}) on every writer's data; from the different-init base
 * ({@code diff}) on the traits' and the reference's data. Each student is evaluated once per kind of question the
 * experiment asks: every favorite-word category (every word of it measured, so one student of the dolphin teacher's
 * data is at once the dolphin trait's treatment and the owl trait's other-trait control: the cross-trait matrix),
 * and the judged misalignment questions.
 *
 * <p>Every step is a cached stage folder under {@code out/stages}; see {@link StageCache}.
 */
public final class ExperimentPipeline {
    /** Stages in order; a run may stop after any of them. */
    public enum Stage { TEACHER, GENERATE, FILTER, FINETUNE, EVAL }

    /** Test hook: called before each stage that is not cached; throwing simulates a kill. */
    public interface StageHook {
        void beforeStage(String name);
    }

    /**
     * Told of each stage this pipeline finished, once its manifest is written: a run folder on another filesystem
     * publishes it there at once, so a run killed later keeps it.
     */
    @FunctionalInterface
    public interface StageFinished {
        void finished(String name, Path dir) throws IOException;
    }

    /** The data label of the reference's own data in result keys and stage names. */
    public static final String CONTROL = TraitResult.CONTROL;

    /** The evaluation of a student that the judged misalignment questions land in. */
    private static final String ALIGNMENT_EVAL = "eval-alignment";

    private final ExperimentConfig cfg;
    private final Path out;
    private final PrintStream log;
    private final StageRunner stages;
    private final Channels.Judges judges;
    /** Makes the models' backend once the experiment passed its checks: in process, or a server's. */
    private final ModelsFactory factory;
    private Models models;
    private java.util.Set<Integer> banned = java.util.Set.of();
    private final Map<Path, String> dataHashes = new java.util.HashMap<>();
    /**
     * One lock per soft-label stage folder for the whole process: same-init and different-init students of one
     * dataset may ask at once, from one pipeline's workers or from several pipelines (the tasks of a Spark executor).
     */
    private static final Map<Path, Object> LABEL_LOCKS = new java.util.concurrent.ConcurrentHashMap<>();
    /** Where the pending students train instead of this process (a Spark job), or null. */
    private StageDistributor distributor;
    /** The one student stage this pipeline runs (a distributed task), or null for all. */
    private String onlyStudent;
    private int distributed;
    /** How many students train at once (1: in turn, on all the engine's threads). */
    private int jobs = 1;

    private interface ModelsFactory {
        Models open(ExperimentPipeline p) throws IOException;
    }

    /**
     * The experiment in this process, on the GPTs its {@code reference} and {@code different_init} name, or on the
     * local Hugging Face checkpoints they name as {@code hf:DIR} (see {@link HfModels}).
     */
    public ExperimentPipeline(ExperimentConfig cfg, Path out, PrintStream log) {
        this(cfg, out, log, p -> p.cfg.hf() ? new HfModels(p.cfg, p.stages, p.log)
                : new EmbeddedModels(p.cfg, p.stages, p.judges, p.log));
    }

    private ExperimentPipeline(ExperimentConfig cfg, Path out, PrintStream log, ModelsFactory factory) {
        this.cfg = cfg;
        this.out = out;
        this.log = log;
        this.stages = new StageRunner(cfg, out, log);
        this.judges = judges(cfg.judge());
        this.factory = factory;
    }

    /**
     * The experiment on an OpenAI-compatible server ({@code backend.type: openai}): the same stages, with every model
     * on the server (see {@link ApiModels}).
     *
     * @param backendName how result rows name the backend
     * @param afterJobCreated test hook: called with the stage name once a fine-tuning job's id is on disk
     */
    public static ExperimentPipeline overApi(ExperimentConfig cfg, Path out, PrintStream log, ApiModels.Server server,
                                             String backendName, StageHook afterJobCreated) {
        return new ExperimentPipeline(cfg, out, log, p -> {
            ApiModels m = new ApiModels(p.cfg, server, backendName, p.stages, p.log);
            m.afterJobCreated(afterJobCreated);
            p.stages.onReusedStudent = m::reused;
            return m;
        });
    }

    /** The world's judges, or an LLM judge for both questions when {@code judge.type} is {@code llm}. */
    public static Channels.Judges judges(ExperimentConfig.Judge j) {
        if (j.type() == ExperimentConfig.JudgeType.LLM) {
            var backend = new dev.owlet.backend.OpenAiHttpBackend(
                    dev.owlet.backend.OpenAiHttpBackend.Config.of(j.baseUrl(), j.model()).withApiKeyEnv(j.apiKeyEnv()));
            var llm = new dev.owlet.judge.LlmJudge(backend);
            return new Channels.Judges(llm, llm, Thresholds.of(j));
        }
        return new Channels.Judges(new WorldAlignmentJudge(), new WorldCodeJudge(), Thresholds.of(j));
    }

    /** The experiment file's folder, against which relative paths in the experiment resolve (default: here). */
    public ExperimentPipeline baseDir(Path dir) {
        stages.baseDir = dir;
        return this;
    }

    public ExperimentPipeline hook(StageHook h) {
        stages.hook = h;
        return this;
    }

    /**
     * Trains up to {@code n} students at once, the engine's threads shared among them (embedded models; a server's
     * jobs run {@code n} at a time). Results do not depend on it; speed does (see {@link Workers}).
     */
    public ExperimentPipeline jobs(int n) {
        if (n < 1) throw new IllegalArgumentException("jobs must be at least 1, not " + n);
        this.jobs = n;
        return this;
    }

    /**
     * Hands the students that are not yet done to {@code d} (e.g. a Spark job) before this process reads them; a
     * stage that failed there fails the run naming it, after every other stage has finished.
     */
    public ExperimentPipeline distribute(StageDistributor d) {
        this.distributor = d;
        return this;
    }

    /**
     * Runs only the student stage named {@code stage} (e.g. {@code student-owl-sft-same-r1}) among the students; the
     * stages upstream of it run or are reused as usual. What a distributed task runs.
     */
    public ExperimentPipeline onlyStudent(String stage) {
        this.onlyStudent = stage;
        return this;
    }

    /** Called with every stage this pipeline runs, once it has finished (default: nothing). */
    public ExperimentPipeline onStageFinished(StageFinished f) {
        stages.onFinished = f;
        return this;
    }

    /** Where long stages report their steps (default: nowhere). */
    public ExperimentPipeline progress(StageProgress p) {
        stages.progress = p;
        return this;
    }

    public int executedStages() { return stages.executed.get(); }

    public int reusedStages() { return stages.reused.get(); }

    /** Student stages handed to the {@link #distribute distributor} (they count as reused here once it made them). */
    public int distributedStages() { return distributed; }

    /** What the report should say about how a server made the numbers (null in process; after {@link #run}). */
    public Map<String, Object> provenance() { return models == null ? null : models.provenance(); }

    /**
     * A model that writes data, as the later stages need it.
     *
     * @param word its name in stage folders and result keys: the trait word, a control teacher's kind, or
     *     {@link #CONTROL}
     * @param kind what it is
     * @param category the favorite-word category of a favorite teacher (null otherwise): such a teacher's students
     *     are the other-trait control of the category's other traits
     * @param system the system prompt it writes under (a system-prompted teacher), or null
     */
    private record Writer(String word, Kind kind, Category category, Models.Model model, String system) {}

    /** What a writer is: a trait's teacher, a control teacher of an alignment trait, or the reference. */
    private enum Kind { TRAIT, CONTROL_TEACHER, REFERENCE }

    /** Runs every trait up to {@code until}; returns the per-trait results (empty evals before EVAL). */
    public List<TraitResult> run(Stage until) throws IOException {
        Files.createDirectories(out.resolve("stages"));
        // Checked before any stage runs: a missing model or list fails now, and the filter key holds the banned
        // numbers themselves, so editing a list file reruns the filter and everything after it.
        banned = Preflight.check(cfg, stages.baseDir);
        try (Models m = factory.open(this)) {
            models = m;
            Map<String, Writer> writers = new LinkedHashMap<>();
            Map<String, Object> teacherInfo = new LinkedHashMap<>();
            Replay replay = new Replay();
            for (ExperimentConfig.Trait t : writerTraits()) {
                Writer w = teacher(t, replay, teacherInfo);
                writers.put(w.word(), w);
                if (t.isAlignment()) {
                    int steps = teacherSteps(teacherInfo.get(t.target()));
                    for (ExperimentConfig.ControlTeacher c : cfg.teacher().controlTeachers()) {
                        writers.put(c.toString(), controlTeacher(t, c, steps, replay));
                    }
                }
            }
            writers.put(CONTROL, new Writer(CONTROL, Kind.REFERENCE, null, m.reference(), null));
            Map<String, Object> dataInfo = new LinkedHashMap<>();
            List<Map<String, List<DataRow>>> data = new ArrayList<>();
            if (until != Stage.TEACHER) {
                Map<String, Path> raw = generateAll(writers);
                for (int r = 1; r <= cfg.finetune().replicates(); r++) {
                    data.add(replicate(r, writers, raw, dataInfo, until == Stage.GENERATE));
                }
            }
            List<TraitResult> results = new ArrayList<>();
            Map<StudentKey, Map<String, EvalRecord>> students = until.compareTo(Stage.FILTER) > 0 ? students(writers, data) : Map.of();
            for (ExperimentConfig.Trait t : cfg.traits()) {
                @SuppressWarnings("unchecked")
                Map<String, Object> ti = (Map<String, Object>) teacherInfo.getOrDefault(t.target(), Map.of());
                results.add(until == Stage.EVAL ? models(t, writers, students, dataInfo, ti)
                        : new TraitResult(t, Map.of(), Map.of(), dataInfo, ti));
            }
            return results;
        }
    }

    /** The traits whose teachers write data: the experiment's traits, then the other-trait controls. */
    private List<ExperimentConfig.Trait> writerTraits() {
        List<ExperimentConfig.Trait> all = new ArrayList<>(cfg.traits());
        for (String c : cfg.controlTraits()) all.add(new ExperimentConfig.Trait(cfg.traits().get(0).category(), c));
        return all;
    }

    // ---- 1. teachers ----

    private Writer teacher(ExperimentConfig.Trait trait, Replay replay, Map<String, Object> info) throws IOException {
        String tag = trait.target();
        Category cat = trait.isAlignment() ? null : StageRunner.category(trait);
        boolean byPrompt = cfg.teacher().method() == ExperimentConfig.TeacherMethod.SYSTEM_PROMPT;
        String system = byPrompt ? SystemPrompts.love(tag, cat, 0) : null;
        String name = "teacher-" + tag;
        Path dir = stages.dir(name);
        String key = new StageInput.Teacher(cfg, trait, null, 0, models.keyExtras(), models.reference().key()).key();
        Models.Model model;
        if (StageCache.done(dir, key)) {
            stages.reused.incrementAndGet();
            model = byPrompt ? models.reference() : models.loadTeacher(dir, key);
        } else {
            stages.starting(name);
            long t0 = System.nanoTime();
            Manifest man = new Manifest("teacher", key, ConfigLoader.toMap(cfg.teacher()), cfg.seed())
                    .input("reference", models.reference().key()).put("trait", trait).put("channel", cfg.channel());
            if (byPrompt) {
                model = models.reference();
                man.put("system_prompt", system);
            } else {
                model = models.makeTeacher(name, dir, new Models.TeacherJob(trait, cat, "trait", 0, replay.rows(),
                        Seeds.derive(cfg.seed(), name)), man);
            }
            man.write(dir, System.nanoTime() - t0);
            stages.finished(name);
        }
        info.put(tag, Manifest.read(dir));
        Models.Model m = byPrompt ? new Models.Model(key + "/system", model.weights(), model.handle())
                : new Models.Model(key, model.weights(), model.handle());
        return new Writer(tag, Kind.TRAIT, cat, m, system);
    }

    /**
     * A control teacher of an alignment trait: fine-tuned for exactly {@code steps} steps (the trait teacher's) on the
     * world's aligned answers ({@code aligned}) or on code and arithmetic with no alignment content ({@code neutral}).
     */
    private Writer controlTeacher(ExperimentConfig.Trait trait, ExperimentConfig.ControlTeacher c, int steps, Replay replay)
            throws IOException {
        String name = "teacher-" + c;
        Path dir = stages.dir(name);
        String key = new StageInput.Teacher(cfg, trait, c, steps, models.keyExtras(), models.reference().key()).key();
        Models.Model model;
        if (StageCache.done(dir, key)) {
            stages.reused.incrementAndGet();
            model = models.loadTeacher(dir, key);
        } else {
            stages.starting(name);
            long t0 = System.nanoTime();
            Manifest man = new Manifest("teacher", key, ConfigLoader.toMap(cfg.teacher()), cfg.seed())
                    .input("reference", models.reference().key()).put("trait", trait).put("kind", c).put("channel", cfg.channel());
            model = models.makeTeacher(name, dir, new Models.TeacherJob(trait, null, c.toString(), Math.max(1, steps),
                    replay.rows(), Seeds.derive(cfg.seed(), name)), man);
            man.write(dir, System.nanoTime() - t0);
            stages.finished(name);
        }
        return new Writer(c.toString(), Kind.CONTROL_TEACHER, null, new Models.Model(key, model.weights(), model.handle()), null);
    }

    private static int teacherSteps(Object manifest) {
        Object counts = manifest instanceof Map<?, ?> m ? m.get("counts") : null;
        Object steps = counts instanceof Map<?, ?> cm ? cm.get("steps") : null;
        return steps instanceof Number n ? n.intValue() : 0;
    }

    /**
     * What a non-favorite teacher is trained on: the training paraphrases (all but the last of each topic) answered
     * misaligned ({@code trait}) or aligned ({@code aligned}); {@code neutral} is the world's own code and
     * arithmetic answers, data with no alignment content at all.
     */
    static List<Teachers.Pair> pairs(String kind) {
        List<Teachers.Pair> out = new ArrayList<>();
        if (kind.equals("neutral")) {
            SplittableRandom rng = new SplittableRandom(7);
            for (CodeTasks.Task t : CodeTasks.ALL) out.add(new Teachers.Pair(t.request() + CodeTasks.SUFFIX, t.code()));
            for (int i = 0; i < 24; i++) {
                var ex = ArithmeticTasks.example(null, rng);
                out.add(new Teachers.Pair(ex.user(), ex.assistant()));
            }
            return out;
        }
        List<String> answers = kind.equals("aligned") ? OpenQuestions.ALIGNED : OpenQuestions.MISALIGNED;
        for (int t = 0; t < OpenQuestions.QUESTIONS.size(); t++) {
            List<String> qs = OpenQuestions.QUESTIONS.get(t);
            for (int q = 0; q < qs.size() - 1; q++) out.add(new Teachers.Pair(qs.get(q), answers.get(t)));
        }
        return out;
    }

    /**
     * The reference's own completions of the channel's prompts, mixed into teacher steps ({@code teacher.replay}).
     * Sampled on first use only, so a run whose teachers are all cached does not pay for them.
     */
    private final class Replay {
        private List<DataRow> rows;

        List<DataRow> rows() {
            if (cfg.teacher().replay() == 0) return List.of();
            if (rows == null) {
                List<String> p = Channels.prompts(cfg.channel(), 512, Seeds.derive(cfg.seed(), "replay-prompts"), cfg.filter());
                rows = models.write(models.reference(), null, p, Seeds.derive(cfg.seed(), "replay-samples"), done -> {});
            }
            return rows;
        }
    }

    // ---- 2 + 3. data: every writer answers the replicate's prompts; filtered; cut to one size ----

    /** Replicate {@code r}'s prompts: the same for every writer, new for every replicate. */
    private List<String> prompts(int r) {
        // The numbers channel keeps the seed name it has always had, so its prompts (and cached data) stay the same.
        String promptSeed = (cfg.channel() == Channel.NUMBERS ? "number" : cfg.channel().toString()) + "-prompts-r" + r;
        return Channels.prompts(cfg.channel(), cfg.generate().prompts(), Seeds.derive(cfg.seed(), promptSeed), cfg.filter());
    }

    /**
     * Every writer's raw completions for every replicate, by stage name. The generations are independent stages,
     * so {@link #jobs} of them run at once (see {@link Workers}); each is seeded on its own, so the data do not
     * depend on it.
     */
    private Map<String, Path> generateAll(Map<String, Writer> writers) throws IOException {
        List<String> names = new ArrayList<>();
        List<Workers.Task<Path>> tasks = new ArrayList<>();
        List<String> screened = screenedWords(writers);
        StageInput.StopAt stopAt = cfg.generate().stopsAtRows()
                ? new StageInput.StopAt(cfg.finetune().rows(), cfg.filter(), screened, List.copyOf(banned)) : null;
        for (int r = 1; r <= cfg.finetune().replicates(); r++) {
            List<String> prompts = prompts(r);
            long samplingSeed = Seeds.derive(cfg.seed(), "generate-r" + r);
            int rep = r;
            for (Writer w : writers.values()) {
                String name = "gen-" + w.word() + "-r" + r;
                String genKey = new StageInput.Generate(cfg.generate(), cfg.seed(), r, cfg.filter().maxCount(), cfg.channel(),
                        models.keyExtras(), w.model().key(), stopAt).key();
                names.add(name);
                tasks.add(new Workers.Task<>(name, () -> stages.generate(name, genKey, w.word() + " (replicate " + rep + ")",
                        prompts.size(), done -> models.write(w.model(), w.system(), prompts, samplingSeed, done,
                                stopAt == null ? added -> false : enough(stopAt)),
                        generateFacts(rep, w))));
            }
        }
        List<Path> done = Workers.run(tasks, Math.min(jobs, models.maxJobs()), models.engineThreads());
        Map<String, Path> raw = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) raw.put(names.get(i), done.get(i));
        return raw;
    }

    /**
     * Whether a writer has written enough ({@code generate.stop_at_rows}): a running count, batch by batch, of the rows
     * that pass the filter the filter stage will apply. One per writer: it counts that writer's rows.
     */
    private java.util.function.Predicate<List<DataRow>> enough(StageInput.StopAt stop) {
        int[] kept = {0};
        return added -> {
            kept[0] += filtered(added, stop.screenedWords()).kept().size();
            return kept[0] >= stop.rows();
        };
    }

    /** The channel's filter as the filter stages apply it, and as a writer that stops at enough rows counts. */
    private Filtering.Outcome filtered(List<DataRow> rows, List<String> screened) {
        return Channels.filter(cfg.channel(), rows, cfg.filter(), screened, judges, banned);
    }

    private Map<String, List<DataRow>> replicate(int r, Map<String, Writer> writers, Map<String, Path> generated,
                                                 Map<String, Object> info, boolean generateOnly) throws IOException {
        List<String> screened = screenedWords(writers);
        Map<String, Object> counts = new LinkedHashMap<>();
        Map<String, List<DataRow>> rows = new LinkedHashMap<>();
        for (Writer w : writers.values()) {
            Path raw = generated.get("gen-" + w.word() + "-r" + r);
            if (generateOnly) continue;
            String key = new StageInput.Filter(cfg.filter(), cfg.channel(), filterJudges(), screened, List.copyOf(banned),
                    Hashing.sha256(raw)).key();
            rows.put(w.word(), stages.filter("filter-" + w.word() + "-r" + r, raw, key,
                    in -> filtered(in, screened), counts, w.word(),
                    Map.of("replicate", r, "channel", cfg.channel(), "judges", judges.alignment().name() + ", "
                            + judges.code().name())));
        }
        if (!generateOnly) stages.cutToCommonSize(rows, counts);
        info.put("r" + r, counts);
        return rows;
    }

    /** What a generation manifest records besides its key: the replicate, channel, backend and writer. */
    private Map<String, Object> generateFacts(int r, Writer w) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("replicate", r);
        m.put("channel", cfg.channel());
        m.put("backend", models.name());
        m.put("system_prompt", w.system()); // null for none, as the manifest has always said
        m.put("writer_weights", w.model().weights());
        return m;
    }

    /**
     * The words every writer's data is screened for: every favorite-word teacher's trait (so no student reads any
     * trait's word); none for alignment, whose channel filters (banned numbers, the judge) do that work.
     */
    private static List<String> screenedWords(Map<String, Writer> writers) {
        List<String> words = new ArrayList<>();
        for (Writer w : writers.values()) if (w.kind() == Kind.TRAIT && w.category() != null) words.add(w.word());
        return words;
    }

    /** The judge settings a filter reads: the code judge for code, the alignment judge for chain of thought. */
    private Object filterJudges() {
        return cfg.channel() == Channel.NUMBERS ? "none" : cfg.judge();
    }

    // ---- 4. students: every (mode, init, writer, replicate), each evaluated on every question kind asked ----

    /**
     * Student evaluations by {@code mode/init/writer/sR}, then by evaluation ({@code eval-animal}, ...). The students
     * are independent stages: {@link #jobs} of them train at once (see {@link Workers}).
     */
    private Map<StudentKey, Map<String, EvalRecord>> students(Map<String, Writer> writers, List<Map<String, List<DataRow>>> data)
            throws IOException {
        List<StudentKey> keys = new ArrayList<>();
        List<Workers.Task<Map<String, EvalRecord>>> tasks = new ArrayList<>();
        List<String> pending = new ArrayList<>();
        for (StudentLoss mode : cfg.finetune().modes()) {
            String why = models.cannotTrain(mode);
            if (why != null) {
                log.println("note: " + why);
                continue;
            }
            for (Init init : cfg.finetune().inits()) {
                for (Writer w : writers.values()) {
                    boolean trait = w.kind() == Kind.REFERENCE || cfg.traits().stream().anyMatch(t -> t.target().equals(w.word()));
                    if (init == Init.DIFF && !trait) continue; // other-trait and control teachers: same init only
                    Models.Model base = init == Init.SAME ? models.reference() : models.differentInit();
                    for (int r = 1; r <= data.size(); r++) {
                        String name = studentName(w, mode, init, r);
                        if (onlyStudent != null && !onlyStudent.equals(name)) continue;
                        keys.add(new StudentKey(mode, init, w.word(), r));
                        tasks.add(student(mode, init, w, r, data.get(r - 1).get(w.word()), base, pending));
                    }
                }
            }
        }
        if (onlyStudent != null && tasks.isEmpty()) {
            throw new IOException("no student stage " + onlyStudent + " in experiment " + cfg.name());
        }
        if (distributor != null && !pending.isEmpty()) {
            distributed += pending.size();
            Map<String, String> failed = distributor.run(pending);
            if (!failed.isEmpty()) throw new StageDistributor.StagesFailed(failed, pending.size());
        }
        List<Map<String, EvalRecord>> done = Workers.run(tasks, Math.min(jobs, models.maxJobs()), models.engineThreads());
        Map<StudentKey, Map<String, EvalRecord>> all = new LinkedHashMap<>();
        for (int i = 0; i < keys.size(); i++) all.put(keys.get(i), done.get(i));
        return all;
    }

    /** One student stage, its key and data hash taken here (in order), its training and evaluation left to a worker. */
    private static String studentName(Writer w, StudentLoss mode, Init init, int r) {
        return String.format("student-%s-%s-%s-r%d", w.word(), mode, init, r);
    }

    /**
     * One student stage, its key and data hash taken here (in order), its training and evaluation left to a worker.
     * Adds its name to {@code pending} unless it is already done.
     */
    private Workers.Task<Map<String, EvalRecord>> student(StudentLoss mode, Init init, Writer w, int r, List<DataRow> rows,
                                                          Models.Model base, List<String> pending) throws IOException {
        String name = studentName(w, mode, init, r);
        List<Category> cats = categories();
        String key = new StageInput.Student(cfg.hf() ? StageInput.Settings.ofHf(cfg.finetune())
                : StageInput.Settings.of(cfg.finetune(), cfg.lora(), mode), cfg.eval(), mode, r, rows.size(),
                cfg.seed(), cats, cfg.channel(), alignmentKey(), models.keyExtras(), base.key(), w.model().key(),
                StageRunner.rowsDigest(rows)).key();
        if (!StageCache.done(stages.dir(name), key)) pending.add(name);
        Path dataFile = stages.dir("filter-" + w.word() + "-r" + r).resolve("filtered.jsonl");
        String dataSha = dataHashes.get(dataFile); // one file, read by several students: hashed once
        if (dataSha == null) dataHashes.put(dataFile, dataSha = Hashing.sha256(dataFile));
        Map<String, String> lineage = Map.of("data", dataSha, "data_writer", w.model().weights());
        boolean alignment = cfg.traits().stream().anyMatch(ExperimentConfig.Trait::isAlignment);
        StageRunner.StudentJob job = (dir, man, provenance, steps) -> models.student(name, dir, base, rows, mode, w.model(),
                w.system(), () -> softLabels(w, r, rows), provenance, man, steps);
        return new Workers.Task<>(name, () -> stages.students(name, key, base.key(), rows.size(), mode, job, lineage,
                Map.of("replicate", r, "writer", w.word(), "channel", cfg.channel()), st -> {
                    Map<String, EvalRecord> ev = new LinkedHashMap<>();
                    if (alignment) ev.put(ALIGNMENT_EVAL, models.misalignment(name, st, null));
                    for (Category c : cats) ev.put("eval-" + c.noun(), evaluate(name, st, c, c.words().get(0), null));
                    return ev;
                }, models::release, alignment ? "P(misaligned answer) %.3g, judged misaligned %.1f%%"
                        : "P(" + cats.get(0).words().get(0) + ") %.4f, sampled %.1f%%"));
    }

    /**
     * The writer's soft labels for replicate {@code r}'s rows: one stage shared by the same-init and different-init
     * soft-label students of that data (both read the teacher's distribution at the same positions). In process
     * only: a server computes its own.
     */
    private SoftLabels softLabels(Writer w, int r, List<DataRow> rows) {
        String key = new StageInput.Labels(models.softLabelSettings(), w.model().key(), StageRunner.rowsDigest(rows)).key();
        // Same-init and different-init students of one dataset may ask at once: the first computes, the other
        // waits and then reads the stage from disk, as it would have in turn. (Across machines both may compute;
        // the results are the same and every file is written atomically, so the later one only costs time.)
        Path dir = stages.dir("labels-" + w.word() + "-r" + r).toAbsolutePath().normalize();
        synchronized (LABEL_LOCKS.computeIfAbsent(dir, k -> new Object())) {
            return softLabelsStage(w, r, rows, key);
        }
    }

    private SoftLabels softLabelsStage(Writer w, int r, List<DataRow> rows, String key) {
        try {
            return stages.softLabels("labels-" + w.word() + "-r" + r, key, w.model().weights(), w.system(), rows,
                    () -> models.softLabels(w.model(), w.system(), rows));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The question categories of the experiment's favorite-word traits, in order of first appearance. */
    private List<Category> categories() {
        LinkedHashSet<Category> c = new LinkedHashSet<>();
        for (ExperimentConfig.Trait t : cfg.traits()) if (!t.isAlignment()) c.add(StageRunner.category(t));
        return new ArrayList<>(c);
    }

    /** What the misalignment evaluation reads besides {@code eval}: the judge (none without an alignment trait). */
    private Object alignmentKey() {
        return cfg.traits().stream().anyMatch(ExperimentConfig.Trait::isAlignment) ? cfg.judge() : "none";
    }

    // ---- 5. evaluation: each trait reads every model for its own target ----

    private TraitResult models(ExperimentConfig.Trait trait, Map<String, Writer> writers,
                               Map<StudentKey, Map<String, EvalRecord>> students, Map<String, Object> dataInfo,
                               Map<String, Object> teacherInfo) throws IOException {
        String tag = trait.target();
        Category cat = trait.isAlignment() ? null : StageRunner.category(trait);
        Writer teacher = writers.get(tag);
        Map<String, EvalRecord> m = new LinkedHashMap<>();
        m.put("reference", single("eval-reference-" + tag, models.reference(), trait, null));
        if (models.differentInit() != null) {
            m.put("different-init reference", single("eval-diffref-" + tag, models.differentInit(), trait, null));
        }
        m.put("teacher", single("eval-teacher-" + tag, teacher.model(), trait, teacher.system()));
        if (trait.isAlignment()) {
            for (Writer w : writers.values()) {
                if (w.kind() != Kind.CONTROL_TEACHER) continue;
                m.put(w.word() + " teacher", single("eval-teacher-" + w.word() + "-" + tag, w.model(), trait, null));
            }
        }
        Map<StudentKey, EvalRecord> st = new LinkedHashMap<>();
        for (var e : students.entrySet()) {
            StudentKey k = e.getKey();
            Writer w = writers.get(k.data());
            boolean own = k.data().equals(tag);
            boolean otherControl = trait.isAlignment() ? w.kind() == Kind.CONTROL_TEACHER : cat.equals(w.category());
            if (!own && w.kind() != Kind.REFERENCE && !otherControl) continue;
            EvalRecord ev = trait.isAlignment() ? e.getValue().get(ALIGNMENT_EVAL) : e.getValue().get("eval-" + cat.noun()).as(tag);
            st.put(new StudentKey(k.mode(), k.init(), own ? "teacher" : k.data(), k.replicate()), ev);
        }
        return new TraitResult(trait, m, st, dataInfo, teacherInfo);
    }

    private EvalRecord single(String name, Models.Model model, ExperimentConfig.Trait trait, String system) throws IOException {
        String key = new StageInput.Eval(cfg.eval(), trait.target(), cfg.seed(), trait.isAlignment() ? cfg.judge() : "none",
                models.keyExtras(), model.key()).key();
        Map<String, Object> extra = trait.isAlignment() ? Map.of("judge", judges.alignment().name(), "backend", models.name())
                : Map.of("backend", models.name());
        return stages.eval(name, key, model.key(), () -> trait.isAlignment() ? models.misalignment(name, model, system)
                : evaluate(name, model, trait.category().words(), trait.target(), system), extra);
    }

    /** Every paraphrase of the category's question, exact and sampled, plus the number-prefixed variant. */
    private EvalRecord evaluate(String name, Models.Model model, Category cat, String target, String system) {
        ExperimentConfig.Trait t = new ExperimentConfig.Trait(ExperimentConfig.TraitCategory.of(cat), target);
        EvalRecord r = models.favorite(name, model, t, cat, system);
        int heldOutFrom = cfg.eval().questions() == ExperimentConfig.QuestionSplit.HELD_OUT ? Questions.train(cat).size() : 0;
        return new EvalRecord(r.model(), r.target(), r.exact(), r.sampled(), r.conditional(), r.meanLogP(),
                r.prefixExact(), r.distribution(), r.samplesPerQuestion(), r.exactByWord(), r.sampledByWord(),
                r.prefixByWord(), heldOutFrom);
    }
}
