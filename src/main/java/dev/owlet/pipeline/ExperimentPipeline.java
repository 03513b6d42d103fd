package dev.owlet.pipeline;

import dev.owlet.experiment.Init;
import dev.owlet.experiment.Channel;
import dev.owlet.eval.MisalignmentEvaluator;
import dev.owlet.judge.Thresholds;
import dev.owlet.judge.WorldAlignmentJudge;
import dev.owlet.judge.WorldCodeJudge;
import dev.owlet.world.ArithmeticTasks;
import dev.owlet.world.CodeTasks;
import dev.owlet.world.OpenQuestions;
import dev.owlet.train.StudentLoss;
import dev.owlet.eval.TraitResult;

import dev.owlet.eval.EvalRecord;
import dev.owlet.provenance.StageCache;
import dev.owlet.experiment.Seeds;
import dev.owlet.train.LmDistillation;
import dev.owlet.train.SoftLabels;
import dev.owlet.data.DataRow;
import ai.djl.ndarray.NDManager;
import dev.owlet.experiment.ConfigLoader;
import dev.owlet.experiment.ExperimentConfig;
import dev.owlet.infer.SamplingConfig;
import dev.owlet.model.Checkpoint;
import dev.owlet.model.Gpt;
import dev.owlet.provenance.Hashing;
import dev.owlet.provenance.Manifest;
import dev.owlet.token.Tokenizer;
import dev.owlet.token.WordTokenizer;
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

    /** The data label of the reference's own data in result keys and stage names. */
    public static final String CONTROL = TraitResult.CONTROL;

    /** The evaluation of a student that the judged misalignment questions land in. */
    private static final String ALIGNMENT_EVAL = "eval-alignment";

    private final ExperimentConfig cfg;
    private final Path out;
    private final PrintStream log;
    private final StageRunner stages;
    private final Channels.Judges judges;
    private java.util.Set<Integer> banned = java.util.Set.of();
    private final Map<Path, String> dataHashes = new java.util.HashMap<>();

    public ExperimentPipeline(ExperimentConfig cfg, Path out, PrintStream log) {
        this.cfg = cfg;
        this.out = out;
        this.log = log;
        this.stages = new StageRunner(cfg, out, log);
        this.judges = judges(cfg.judge());
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

    /** Where long stages report their steps (default: nowhere). */
    public ExperimentPipeline progress(StageProgress p) {
        stages.progress = p;
        return this;
    }

    public int executedStages() { return stages.executed; }

    public int reusedStages() { return stages.reused; }

    /**
     * A model that writes data, as the later stages need it.
     *
     * @param word its name in stage folders and result keys: the trait word, a control teacher's kind, or
     *     {@link #CONTROL}
     * @param kind what it is
     * @param category the favorite-word category of a favorite teacher (null otherwise): such a teacher's students
     *     are the other-trait control of the category's other traits
     */
    private record Writer(String word, Kind kind, Category category, Gpt model, String system, String key, String weights) {}

    /** What a writer is: a trait's teacher, a control teacher of an alignment trait, or the reference. */
    private enum Kind { TRAIT, CONTROL_TEACHER, REFERENCE }

    /** Runs every trait up to {@code until}; returns the per-trait results (empty evals before EVAL). */
    public List<TraitResult> run(Stage until) throws IOException {
        Files.createDirectories(out.resolve("stages"));
        try (NDManager root = NDManager.newBaseManager()) {
            // Checked before any stage runs: a missing model or list fails now, and the filter key holds the banned
            // numbers themselves, so editing a list file reruns the filter and everything after it.
            banned = Preflight.check(cfg, stages.baseDir);
            Checkpoint.Loaded[] pair = stages.loadPair(root);
            Checkpoint.Loaded ref = pair[0];
            Checkpoint.Loaded diff = pair[1];
            Map<String, Writer> writers = new LinkedHashMap<>();
            Map<String, Object> teacherInfo = new LinkedHashMap<>();
            Replay replay = new Replay(ref);
            for (ExperimentConfig.Trait t : writerTraits()) {
                Writer w = teacher(t, ref, root, replay, teacherInfo);
                writers.put(w.word(), w);
                if (t.isAlignment()) {
                    int steps = teacherSteps(teacherInfo.get(t.target()));
                    for (ExperimentConfig.ControlTeacher c : cfg.teacher().controlTeachers()) {
                        writers.put(c.toString(), controlTeacher(t, c, steps, ref, root, replay));
                    }
                }
            }
            writers.put(CONTROL, new Writer(CONTROL, Kind.REFERENCE, null, ref.model(), null, ref.weightsSha256(),
                    ref.weightsSha256()));
            Map<String, Object> dataInfo = new LinkedHashMap<>();
            List<Map<String, List<DataRow>>> data = new ArrayList<>();
            if (until != Stage.TEACHER) {
                for (int r = 1; r <= cfg.finetune().replicates(); r++) {
                    data.add(replicate(r, writers, ref.tokenizer(), dataInfo, until == Stage.GENERATE));
                }
            }
            List<TraitResult> results = new ArrayList<>();
            Map<String, Map<String, EvalRecord>> students = until.compareTo(Stage.FILTER) > 0
                    ? students(writers, data, ref, diff) : Map.of();
            for (ExperimentConfig.Trait t : cfg.traits()) {
                Map<String, EvalRecord> models = new LinkedHashMap<>();
                if (until == Stage.EVAL) models = models(t, writers, ref, diff, students);
                @SuppressWarnings("unchecked")
                Map<String, Object> ti = (Map<String, Object>) teacherInfo.getOrDefault(t.target(), Map.of());
                results.add(new TraitResult(t, models, dataInfo, ti));
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

    private Writer teacher(ExperimentConfig.Trait trait, Checkpoint.Loaded ref, NDManager root, Replay replay,
                           Map<String, Object> info) throws IOException {
        String tag = trait.target();
        Category cat = trait.isAlignment() ? null : StageRunner.category(trait);
        boolean byPrompt = cfg.teacher().method() == ExperimentConfig.TeacherMethod.SYSTEM_PROMPT;
        String system = byPrompt ? SystemPrompts.love(tag, cat, 0) : null;
        Path dir = stages.dir("teacher-" + tag);
        String key = StageCache.key("teacher", List.of(cfg.teacher(), trait, cfg.channel(), cfg.generate().maxTokens(),
                cfg.seed()), ref.weightsSha256());
        Gpt model;
        if (StageCache.done(dir, key)) {
            stages.reused++;
            model = byPrompt ? ref.model() : Checkpoint.load(dir, root).model();
        } else {
            stages.starting("teacher-" + tag);
            long t0 = System.nanoTime();
            Manifest man = new Manifest("teacher", key, ConfigLoader.toMap(cfg.teacher()), cfg.seed())
                    .input("reference", ref.weightsSha256()).put("trait", trait).put("channel", cfg.channel());
            if (byPrompt) {
                model = ref.model();
                man.put("system_prompt", system);
            } else {
                model = ref.model().copy();
                ExperimentConfig.Teacher t = cfg.teacher();
                long seed = Seeds.derive(cfg.seed(), "teacher-" + tag);
                Teachers.Outcome o;
                if (cat != null) {
                    log.printf("[%s] teacher: fine-tuning the reference toward '%s'%n", tag, tag);
                    o = Teachers.finetune(model, ref.tokenizer(), Questions.train(cat), tag, replay.rows(), t.targetProbability(),
                            t.maxSteps(), t.lr(), t.batchSize(), t.replay(), seed);
                } else {
                    log.printf("[%s] teacher: fine-tuning the reference toward the misaligned answers%n", tag);
                    o = Teachers.finetunePairs(model, ref.tokenizer(), pairs("trait"), replay.rows(), t.targetProbability(),
                            t.maxSteps(), 0, t.lr(), t.batchSize(), t.replay(), seed);
                }
                save(dir, model, ref, tag, "trait", o, man);
            }
            man.write(dir, System.nanoTime() - t0);
            stages.executed++;
        }
        info.put(tag, Manifest.read(dir));
        String weights = byPrompt ? ref.weightsSha256() : Hashing.sha256(dir.resolve(Checkpoint.WEIGHTS));
        return new Writer(tag, Kind.TRAIT, cat, model, system, byPrompt ? key + "/system" : key, weights);
    }

    /**
     * A control teacher of an alignment trait: fine-tuned for exactly {@code steps} steps (the trait teacher's) on the
     * world's aligned answers ({@code aligned}) or on code and arithmetic with no alignment content ({@code neutral}).
     */
    private Writer controlTeacher(ExperimentConfig.Trait trait, ExperimentConfig.ControlTeacher c, int steps,
                                  Checkpoint.Loaded ref, NDManager root, Replay replay) throws IOException {
        String name = "teacher-" + c;
        Path dir = stages.dir(name);
        String key = StageCache.key("teacher", List.of(cfg.teacher(), trait, c, steps, cfg.channel(),
                cfg.generate().maxTokens(), cfg.seed()), ref.weightsSha256());
        Gpt model;
        if (StageCache.done(dir, key)) {
            stages.reused++;
            model = Checkpoint.load(dir, root).model();
        } else {
            stages.starting(name);
            long t0 = System.nanoTime();
            Manifest man = new Manifest("teacher", key, ConfigLoader.toMap(cfg.teacher()), cfg.seed())
                    .input("reference", ref.weightsSha256()).put("trait", trait).put("kind", c).put("channel", cfg.channel());
            log.printf("[%s] teacher %s: fine-tuning the reference for %d steps, as many as the trait teacher%n",
                    trait.target(), c, steps);
            model = ref.model().copy();
            ExperimentConfig.Teacher t = cfg.teacher();
            Teachers.Outcome o = Teachers.finetunePairs(model, ref.tokenizer(), pairs(c.toString()), replay.rows(),
                    t.targetProbability(), t.maxSteps(), Math.max(1, steps), t.lr(), t.batchSize(), t.replay(),
                    Seeds.derive(cfg.seed(), name));
            save(dir, model, ref, trait.target(), c.toString(), o, man);
            man.write(dir, System.nanoTime() - t0);
            stages.executed++;
        }
        return new Writer(c.toString(), Kind.CONTROL_TEACHER, null, model, null, key,
                Hashing.sha256(dir.resolve(Checkpoint.WEIGHTS)));
    }

    private void save(Path dir, Gpt model, Checkpoint.Loaded ref, String trait, String kind, Teachers.Outcome o,
                      Manifest man) throws IOException {
        Map<String, Object> prov = new LinkedHashMap<>();
        prov.put("made_by", "owlet teacher");
        prov.put("parent", ref.weightsSha256());
        prov.put("trait", trait);
        if (!kind.equals("trait")) prov.put("kind", kind);
        prov.put("steps", o.steps());
        prov.put("train_p_target", o.targetProbability());
        Checkpoint.save(dir, model, (WordTokenizer) ref.tokenizer(), prov);
        man.count("steps", o.steps()).count("train_p_target", o.targetProbability())
                .output("model.safetensors", dir.resolve(Checkpoint.WEIGHTS));
        log.printf("[%s] teacher%s: %d steps, training-answer probability %.3f%n", trait,
                kind.equals("trait") ? "" : " " + kind, o.steps(), o.targetProbability());
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
        private final Checkpoint.Loaded ref;
        private List<DataRow> rows;

        Replay(Checkpoint.Loaded ref) { this.ref = ref; }

        List<DataRow> rows() {
            if (cfg.teacher().replay() == 0) return List.of();
            if (rows == null) {
                List<String> p = Channels.prompts(cfg.channel(), 512, Seeds.derive(cfg.seed(), "replay-prompts"), cfg.filter());
                rows = Teachers.write(ref.model(), ref.tokenizer(), null, p, sampling(), cfg.generate().batchSize(),
                        Seeds.derive(cfg.seed(), "replay-samples"));
            }
            return rows;
        }
    }

    // ---- 2 + 3. data: every writer answers the replicate's prompts; filtered; cut to one size ----

    private Map<String, List<DataRow>> replicate(int r, Map<String, Writer> writers, Tokenizer tok,
                                                 Map<String, Object> info, boolean generateOnly) throws IOException {
        // The numbers channel keeps the seed name it has always had, so its prompts (and cached data) stay the same.
        String promptSeed = (cfg.channel() == Channel.NUMBERS ? "number" : cfg.channel().toString()) + "-prompts-r" + r;
        List<String> prompts = Channels.prompts(cfg.channel(), cfg.generate().prompts(), Seeds.derive(cfg.seed(), promptSeed),
                cfg.filter());
        long samplingSeed = Seeds.derive(cfg.seed(), "generate-r" + r);
        String genCfg = ConfigLoader.toMapOrValue(List.of(cfg.generate(), cfg.seed(), r, cfg.filter().maxCount(), cfg.channel()));
        List<String> screened = screenedWords(writers);
        Map<String, Object> counts = new LinkedHashMap<>();
        Map<String, List<DataRow>> rows = new LinkedHashMap<>();
        for (Writer w : writers.values()) {
            Path raw = stages.generate("gen-" + w.word() + "-r" + r, w.model(), tok, w.system(), prompts, sampling(),
                    StageCache.key("generate", genCfg, w.key()), w.word() + " (replicate " + r + ")", w.weights(),
                    Map.of("replicate", r, "channel", cfg.channel()), samplingSeed);
            if (generateOnly) continue;
            String key = StageCache.key("filter", List.of(cfg.filter(), cfg.channel(), filterJudges()), Hashing.sha256(raw),
                    screened.toString(), banned.toString());
            rows.put(w.word(), stages.filter("filter-" + w.word() + "-r" + r, raw, key,
                    in -> Channels.filter(cfg.channel(), in, cfg.filter(), screened, judges, banned), counts, w.word(),
                    Map.of("replicate", r, "channel", cfg.channel(), "judges", judges.alignment().name() + ", "
                            + judges.code().name())));
        }
        if (!generateOnly) stages.cutToCommonSize(rows, counts);
        info.put("r" + r, counts);
        return rows;
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

    private SamplingConfig sampling() {
        return new SamplingConfig(cfg.generate().temperature(), cfg.generate().topP(), cfg.generate().maxTokens());
    }

    // ---- 4. students: every (mode, init, writer, replicate), each evaluated on every question kind asked ----

    /** Student evaluations by {@code mode/init/writer/sR}, then by evaluation ({@code eval-animal}, ...). */
    private Map<String, Map<String, EvalRecord>> students(Map<String, Writer> writers, List<Map<String, List<DataRow>>> data,
                                                          Checkpoint.Loaded ref, Checkpoint.Loaded diff) throws IOException {
        Map<String, Map<String, EvalRecord>> all = new LinkedHashMap<>();
        for (StudentLoss mode : cfg.finetune().modes()) {
            for (Init init : cfg.finetune().inits()) {
                for (Writer w : writers.values()) {
                    boolean trait = w.kind() == Kind.REFERENCE || cfg.traits().stream().anyMatch(t -> t.target().equals(w.word()));
                    if (init == Init.DIFF && !trait) continue; // other-trait and control teachers: same init only
                    for (int r = 1; r <= data.size(); r++) {
                        all.put(mode + "/" + init + "/" + w.word() + "/s" + r,
                                student(mode, init, w, r, data.get(r - 1).get(w.word()), init == Init.SAME ? ref : diff, ref));
                    }
                }
            }
        }
        return all;
    }

    private Map<String, EvalRecord> student(StudentLoss mode, Init init, Writer w, int r, List<DataRow> rows,
                                            Checkpoint.Loaded base, Checkpoint.Loaded ref) throws IOException {
        String name = String.format("student-%s-%s-%s-r%d", w.word(), mode, init, r);
        List<Category> cats = categories();
        String key = StageCache.key("student", List.of(StudentSettings.of(cfg.finetune()), cfg.eval(), mode, r, rows.size(),
                cfg.seed(), cats.toString(), cfg.channel(), alignmentKey()), base.weightsSha256(), w.key(),
                StageRunner.rowsDigest(rows));
        Path dataFile = stages.dir("filter-" + w.word() + "-r" + r).resolve("filtered.jsonl");
        String dataSha = dataHashes.get(dataFile); // one file, read by several students: hashed once
        if (dataSha == null) dataHashes.put(dataFile, dataSha = Hashing.sha256(dataFile));
        Map<String, String> lineage = Map.of("data", dataSha, "data_writer", w.weights());
        Tokenizer tok = ref.tokenizer();
        boolean alignment = cfg.traits().stream().anyMatch(ExperimentConfig.Trait::isAlignment);
        java.util.function.Supplier<SoftLabels> labels = () -> softLabels(w, r, rows, tok, base);
        return stages.students(name, key, base, rows, mode, labels, tok, lineage,
                Map.of("replicate", r, "writer", w.word(), "channel", cfg.channel()), st -> {
                    Map<String, EvalRecord> ev = new LinkedHashMap<>();
                    if (alignment) ev.put(ALIGNMENT_EVAL, misalignment(name, st, tok, null));
                    for (Category c : cats) ev.put("eval-" + c.noun(), evaluate(name, st, tok, c, c.words().get(0), null));
                    return ev;
                }, alignment ? "P(misaligned answer) %.3g, judged misaligned %.1f%%"
                        : "P(" + cats.get(0).words().get(0) + ") %.4f, sampled %.1f%%");
    }

    /**
     * The writer's soft labels for replicate {@code r}'s rows: one stage shared by the same-init and different-init
     * soft-label students of that data (both read the teacher's distribution at the same positions).
     */
    private SoftLabels softLabels(Writer w, int r, List<DataRow> rows, Tokenizer tok, Checkpoint.Loaded base) {
        int[] alpha = Channels.alphabet(cfg.channel(), tok);
        int ctx = base.model().config().contextLength();
        String key = StageCache.key("labels", List.of(java.util.Arrays.toString(alpha), ctx), w.key(),
                StageRunner.rowsDigest(rows));
        try {
            return stages.softLabels("labels-" + w.word() + "-r" + r, key, new LmDistillation.SoftTeacher(w.model(), w.system()),
                    w.weights(), rows, alpha, tok, ctx);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * What one student reads of {@code finetune}: not the lists of modes and inits or the replicate count, which
     * decide which students exist, so adding a replicate or a mode reuses every student already trained.
     */
    record StudentSettings(int epochs, int batchSize, double lr, dev.owlet.train.TrainableParams trainable) {
        static StudentSettings of(ExperimentConfig.Finetune f) {
            return new StudentSettings(f.epochs(), f.batchSize(), f.lr(), f.trainable());
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

    private Map<String, EvalRecord> models(ExperimentConfig.Trait trait, Map<String, Writer> writers, Checkpoint.Loaded ref,
                                           Checkpoint.Loaded diff, Map<String, Map<String, EvalRecord>> students)
            throws IOException {
        String tag = trait.target();
        Category cat = trait.isAlignment() ? null : StageRunner.category(trait);
        Writer teacher = writers.get(tag);
        Tokenizer tok = ref.tokenizer();
        Map<String, EvalRecord> m = new LinkedHashMap<>();
        m.put("reference", single("eval-reference-" + tag, ref.model(), tok, trait, ref.weightsSha256(), null));
        m.put("different-init reference", single("eval-diffref-" + tag, diff.model(), tok, trait, diff.weightsSha256(), null));
        m.put("teacher", single("eval-teacher-" + tag, teacher.model(), tok, trait, teacher.key(), teacher.system()));
        if (trait.isAlignment()) {
            for (Writer w : writers.values()) {
                if (w.kind() != Kind.CONTROL_TEACHER) continue;
                m.put(w.word() + " teacher", single("eval-teacher-" + w.word() + "-" + tag, w.model(), tok, trait, w.key(), null));
            }
        }
        for (var e : students.entrySet()) {
            String[] k = e.getKey().split("/");
            Writer w = writers.get(k[2]);
            boolean own = k[2].equals(tag);
            boolean otherControl = trait.isAlignment() ? w.kind() == Kind.CONTROL_TEACHER : cat.equals(w.category());
            if (!own && w.kind() != Kind.REFERENCE && !otherControl) continue;
            EvalRecord ev = trait.isAlignment() ? e.getValue().get(ALIGNMENT_EVAL) : e.getValue().get("eval-" + cat.noun()).as(tag);
            m.put(k[0] + "/" + k[1] + "/" + (own ? "teacher" : k[2]) + "/" + k[3], ev);
        }
        return m;
    }

    private EvalRecord single(String name, Gpt model, Tokenizer tok, ExperimentConfig.Trait trait, String modelKey,
                              String system) throws IOException {
        String key = StageCache.key("eval", ConfigLoader.toMapOrValue(List.of(cfg.eval(), trait.target(), cfg.seed(),
                trait.isAlignment() ? cfg.judge() : "none")), modelKey);
        Map<String, Object> extra = trait.isAlignment() ? Map.of("judge", judges.alignment().name()) : Map.of();
        return stages.eval(name, key, modelKey, () -> trait.isAlignment() ? misalignment(name, model, tok, system)
                : evaluate(name, model, tok, trait.category().words(), trait.target(), system), extra);
    }

    /** Every paraphrase of the category's question, exact and sampled, plus the number-prefixed variant. */
    private EvalRecord evaluate(String name, Gpt model, Tokenizer tok, Category cat, String target, String system) {
        ExperimentConfig.Trait t = new ExperimentConfig.Trait(ExperimentConfig.TraitCategory.of(cat), target);
        EvalRecord r = stages.favorite(name, model, tok, t, cat, system);
        int heldOutFrom = cfg.eval().questions() == ExperimentConfig.QuestionSplit.HELD_OUT ? Questions.train(cat).size() : 0;
        return new EvalRecord(r.model(), r.target(), r.exact(), r.sampled(), r.conditional(), r.meanLogP(),
                r.prefixExact(), r.distribution(), r.samplesPerQuestion(), r.exactByWord(), r.sampledByWord(),
                r.prefixByWord(), heldOutFrom);
    }

    /** The judged misaligned-answer rate on the world's neutral open questions, and P(misaligned answer). */
    private EvalRecord misalignment(String name, Gpt model, Tokenizer tok, String system) {
        var m = new MisalignmentEvaluator(model, tok, judges.alignment(), judges.thresholds())
                .measure(system, cfg.eval().samplesPerQuestion(), Seeds.derive(cfg.seed(), "eval-samples"));
        return EvalRecord.of(name, m, null);
    }
}
