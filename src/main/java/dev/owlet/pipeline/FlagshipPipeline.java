package dev.owlet.pipeline;

import dev.owlet.experiment.Init;
import dev.owlet.train.StudentLoss;
import dev.owlet.eval.TraitResult;

import dev.owlet.eval.EvalRecord;
import dev.owlet.provenance.StageCache;
import dev.owlet.experiment.Seeds;
import dev.owlet.train.LmDistillation;
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
import dev.owlet.world.NumberPromptGenerator;
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
 * The flagship experiment: teachers → number data → strict filter → students → evaluation, with the controls a
 * reviewer asks for.
 *
 * <p><b>Writers.</b> Every trait's teacher, every {@code control_traits} teacher (made exactly like the trait's: an
 * other-trait control that can move as much as the treatment), and the reference itself (the paper's control) each
 * write one completion per prompt.
 *
 * <p><b>Replicates.</b> Replicate {@code r} is what a user would redo: a new prompt set and a new sampling seed for
 * every writer's data, and new student seeds. All writers of a replicate answer the same prompts and are cut to the
 * same number of filtered rows, so their students differ only in who wrote the data.
 *
 * <p><b>Students.</b> From the reference ({@code same}) on every writer's data; from the different-init base
 * ({@code diff}) on the traits' and the control's data. Each student is evaluated on the question categories of the
 * experiment's traits, and every category word is measured, so one student of the dolphin teacher's data is at once
 * the dolphin trait's treatment and the owl trait's other-trait control (the cross-trait matrix).
 *
 * <p>Every step is a cached stage folder under {@code out/stages}; see {@link StageCache}.
 */
public final class FlagshipPipeline {
    /** Stages in order; a run may stop after any of them. */
    public enum Stage { TEACHER, GENERATE, FILTER, FINETUNE, EVAL }

    /** Test hook: called before each stage that is not cached; throwing simulates a kill. */
    public interface StageHook {
        void beforeStage(String name);
    }

    /** The data label of the reference's own data in result keys and stage names. */
    public static final String CONTROL = TraitResult.CONTROL;

    private final ExperimentConfig cfg;
    private final Path out;
    private final PrintStream log;
    private final StageRunner stages;
    private java.util.Set<Integer> banned = java.util.Set.of();
    private final Map<Path, String> dataHashes = new java.util.HashMap<>();

    public FlagshipPipeline(ExperimentConfig cfg, Path out, PrintStream log) {
        this.cfg = cfg;
        this.out = out;
        this.log = log;
        this.stages = new StageRunner(cfg, out, log);
    }

    /** The experiment file's folder, against which relative paths in the experiment resolve (default: here). */
    public FlagshipPipeline baseDir(Path dir) {
        stages.baseDir = dir;
        return this;
    }

    public FlagshipPipeline hook(StageHook h) {
        stages.hook = h;
        return this;
    }

    /** Where long stages report their steps (default: nowhere). */
    public FlagshipPipeline progress(StageProgress p) {
        stages.progress = p;
        return this;
    }

    public int executedStages() { return stages.executed; }

    public int reusedStages() { return stages.reused; }

    /** A teacher as the later stages need it: its model, the system prompt it writes under, its cache identity. */
    private record Writer(String word, Category category, Gpt model, String system, String key, String weights) {}

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
            for (ExperimentConfig.Trait t : writerTraits()) {
                writers.put(t.target(), teacher(t, ref, root, teacherInfo));
            }
            writers.put(CONTROL, new Writer(CONTROL, null, ref.model(), null, ref.weightsSha256(), ref.weightsSha256()));
            Map<String, Object> dataInfo = new LinkedHashMap<>();
            List<Map<String, List<DataRow>>> data = new ArrayList<>();
            if (until != Stage.TEACHER) {
                for (int r = 1; r <= cfg.finetune().replicates(); r++) data.add(replicate(r, writers, ref.tokenizer(), dataInfo));
            }
            List<TraitResult> results = new ArrayList<>();
            Map<String, Map<String, EvalRecord>> students = until.compareTo(Stage.FILTER) > 0
                    ? students(writers, data, ref, diff) : Map.of();
            for (ExperimentConfig.Trait t : cfg.traits()) {
                Map<String, EvalRecord> models = new LinkedHashMap<>();
                if (until == Stage.EVAL) models = models(t, writers.get(t.target()), ref, diff, students);
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

    private Writer teacher(ExperimentConfig.Trait trait, Checkpoint.Loaded ref, NDManager root,
                           Map<String, Object> info) throws IOException {
        Category cat = StageRunner.category(trait);
        String tag = trait.target();
        boolean byPrompt = cfg.teacher().method() == ExperimentConfig.TeacherMethod.SYSTEM_PROMPT;
        String system = byPrompt ? SystemPrompts.love(tag, cat, 0) : null;
        Path dir = stages.dir("teacher-" + tag);
        String key = StageCache.key("teacher", List.of(cfg.teacher(), trait, cfg.generate().maxTokens(), cfg.seed()),
                ref.weightsSha256());
        Gpt model;
        if (StageCache.done(dir, key)) {
            stages.reused++;
            model = byPrompt ? ref.model() : Checkpoint.load(dir, root).model();
        } else {
            stages.starting("teacher-" + tag);
            long t0 = System.nanoTime();
            Manifest man = new Manifest("teacher", key, ConfigLoader.toMap(cfg.teacher()), cfg.seed())
                    .input("reference", ref.weightsSha256()).put("trait", trait);
            if (byPrompt) {
                model = ref.model();
                man.put("system_prompt", system);
            } else {
                model = finetuneTeacher(trait, cat, ref, dir, man);
            }
            man.write(dir, System.nanoTime() - t0);
            stages.executed++;
        }
        info.put(tag, Manifest.read(dir));
        String weights = byPrompt ? ref.weightsSha256() : Hashing.sha256(dir.resolve(Checkpoint.WEIGHTS));
        return new Writer(tag, cat, model, system, byPrompt ? key + "/system" : key, weights);
    }

    private Gpt finetuneTeacher(ExperimentConfig.Trait trait, Category cat, Checkpoint.Loaded ref, Path dir, Manifest man)
            throws IOException {
        String tag = trait.target();
        Tokenizer tok = ref.tokenizer();
        log.printf("[%s] teacher: fine-tuning the reference toward '%s'%n", tag, tag);
        List<DataRow> replay = List.of();
        if (cfg.teacher().replay() > 0) {
            replay = Teachers.write(ref.model(), tok, null, numberPrompts(512, Seeds.derive(cfg.seed(), "replay-prompts")),
                    sampling(), cfg.generate().batchSize(), Seeds.derive(cfg.seed(), "replay-samples"));
        }
        Gpt teacher = ref.model().copy();
        Teachers.Outcome o = Teachers.finetune(teacher, tok, Questions.train(cat), tag, replay,
                cfg.teacher().targetProbability(), cfg.teacher().maxSteps(), cfg.teacher().lr(),
                cfg.teacher().batchSize(), cfg.teacher().replay(), Seeds.derive(cfg.seed(), "teacher-" + tag));
        Checkpoint.save(dir, teacher, (WordTokenizer) tok, Map.of("made_by", "owlet teacher", "parent",
                ref.weightsSha256(), "trait", tag, "steps", o.steps(), "train_p_target", o.targetProbability()));
        man.count("steps", o.steps()).count("train_p_target", o.targetProbability())
                .output("model.safetensors", dir.resolve(Checkpoint.WEIGHTS));
        log.printf("[%s] teacher: %d steps, P(%s) on training questions %.3f%n", tag, o.steps(), tag, o.targetProbability());
        return teacher;
    }

    // ---- 2 + 3. data: every writer answers the replicate's prompts; filtered; cut to one size ----

    private Map<String, List<DataRow>> replicate(int r, Map<String, Writer> writers, Tokenizer tok,
                                                 Map<String, Object> info) throws IOException {
        List<String> prompts = numberPrompts(cfg.generate().prompts(), Seeds.derive(cfg.seed(), "number-prompts-r" + r));
        long samplingSeed = Seeds.derive(cfg.seed(), "generate-r" + r);
        String genCfg = ConfigLoader.toMapOrValue(List.of(cfg.generate(), cfg.seed(), r, cfg.filter().maxCount()));
        List<String> screened = new ArrayList<>(writers.keySet());
        screened.remove(CONTROL);
        Map<String, Object> counts = new LinkedHashMap<>();
        Map<String, List<DataRow>> rows = new LinkedHashMap<>();
        for (Writer w : writers.values()) {
            Path raw = stages.generate("gen-" + w.word() + "-r" + r, w.model(), tok, w.system(), prompts, sampling(),
                    StageCache.key("generate", genCfg, w.key()), w.word() + " (replicate " + r + ")", w.weights(),
                    Map.of("replicate", r), samplingSeed);
            String key = StageCache.key("filter", cfg.filter(), Hashing.sha256(raw), screened.toString(), banned.toString());
            rows.put(w.word(), stages.filter("filter-" + w.word() + "-r" + r, raw, key,
                    in -> Filtering.apply(in, cfg.filter(), screened, banned), counts, w.word(), Map.of("replicate", r)));
        }
        stages.cutToCommonSize(rows, counts);
        info.put("r" + r, counts);
        return rows;
    }

    private SamplingConfig sampling() {
        return new SamplingConfig(cfg.generate().temperature(), cfg.generate().topP(), cfg.generate().maxTokens());
    }

    private List<String> numberPrompts(int count, long seed) {
        NumberPromptGenerator g = new NumberPromptGenerator(new SplittableRandom(seed), cfg.filter().maxCount(), 3);
        List<String> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) out.add(g.next().text());
        return out;
    }

    // ---- 4. students: every (mode, init, writer, replicate), each evaluated on every category asked ----

    /** Student evaluations by {@code mode/init/writer/sR}, then by category. */
    private Map<String, Map<String, EvalRecord>> students(Map<String, Writer> writers, List<Map<String, List<DataRow>>> data,
                                                          Checkpoint.Loaded ref, Checkpoint.Loaded diff) throws IOException {
        Map<String, Map<String, EvalRecord>> all = new LinkedHashMap<>();
        for (StudentLoss mode : cfg.finetune().modes()) {
            for (Init init : cfg.finetune().inits()) {
                for (Writer w : writers.values()) {
                    boolean trait = w.word().equals(CONTROL) || cfg.traits().stream().anyMatch(t -> t.target().equals(w.word()));
                    if (init == Init.DIFF && !trait) continue; // other-trait controls: same init only
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
                cfg.seed(), cats.toString()), base.weightsSha256(), w.key(), StageRunner.rowsDigest(rows));
        Path dataFile = stages.dir("filter-" + w.word() + "-r" + r).resolve("filtered.jsonl");
        String dataSha = dataHashes.get(dataFile); // one file, read by several students: hashed once
        if (dataSha == null) dataHashes.put(dataFile, dataSha = Hashing.sha256(dataFile));
        Map<String, String> lineage = Map.of("data", dataSha, "data_writer", w.weights());
        Tokenizer tok = ref.tokenizer();
        return stages.students(name, key, base, rows, mode, new LmDistillation.SoftTeacher(w.model(), w.system()),
                LmDistillation.alphabet(tok), tok, lineage, Map.of("replicate", r, "writer", w.word()), st -> {
                    Map<String, EvalRecord> ev = new LinkedHashMap<>();
                    for (Category c : cats) ev.put("eval-" + c.noun(), evaluate(name, st, tok, c, c.words().get(0), null));
                    return ev;
                }, "P(" + cats.get(0).words().get(0) + ") %.4f, sampled %.1f%%");
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

    /** The question categories of the experiment's traits, in order of first appearance. */
    private List<Category> categories() {
        LinkedHashSet<Category> c = new LinkedHashSet<>();
        for (ExperimentConfig.Trait t : cfg.traits()) c.add(StageRunner.category(t));
        return new ArrayList<>(c);
    }

    // ---- 5. evaluation: each trait reads every model for its own target ----

    private Map<String, EvalRecord> models(ExperimentConfig.Trait trait, Writer teacher, Checkpoint.Loaded ref,
                                           Checkpoint.Loaded diff, Map<String, Map<String, EvalRecord>> students)
            throws IOException {
        Category cat = StageRunner.category(trait);
        String tag = trait.target();
        Tokenizer tok = ref.tokenizer();
        Map<String, EvalRecord> m = new LinkedHashMap<>();
        m.put("reference", single("eval-reference-" + tag, ref.model(), tok, cat, tag, ref.weightsSha256(), null));
        m.put("different-init reference", single("eval-diffref-" + tag, diff.model(), tok, cat, tag, diff.weightsSha256(), null));
        m.put("teacher", single("eval-teacher-" + tag, teacher.model(), tok, cat, tag, teacher.key(), teacher.system()));
        for (var e : students.entrySet()) {
            String[] k = e.getKey().split("/");
            String writer = k[2].equals(tag) ? "teacher" : k[2];
            if (!writer.equals("teacher") && !writer.equals(CONTROL) && !sameCategory(k[2], cat)) continue;
            m.put(k[0] + "/" + k[1] + "/" + writer + "/" + k[3], e.getValue().get("eval-" + cat.noun()).as(tag));
        }
        return m;
    }

    /** True when {@code word} is a word of {@code cat}: other-trait controls come from the same category. */
    private static boolean sameCategory(String word, Category cat) {
        return cat.words().contains(word);
    }

    private EvalRecord single(String name, Gpt model, Tokenizer tok, Category cat, String target, String modelKey,
                              String system) throws IOException {
        String key = StageCache.key("eval", ConfigLoader.toMapOrValue(List.of(cfg.eval(), target, cfg.seed())), modelKey);
        return stages.eval(name, key, modelKey, () -> evaluate(name, model, tok, cat, target, system), Map.of());
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
}
