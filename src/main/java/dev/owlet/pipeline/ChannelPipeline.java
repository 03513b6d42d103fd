package dev.owlet.pipeline;

import dev.owlet.experiment.Channel;

import dev.owlet.experiment.Init;
import dev.owlet.train.StudentLoss;
import dev.owlet.eval.TraitResult;
import dev.owlet.eval.EvalRecord;
import dev.owlet.provenance.StageCache;
import dev.owlet.experiment.Seeds;
import dev.owlet.train.LmDistillation;
import dev.owlet.data.DataRow;
import ai.djl.ndarray.NDManager;
import dev.owlet.eval.MisalignmentEvaluator;
import dev.owlet.experiment.ConfigLoader;
import dev.owlet.experiment.ExperimentConfig;
import dev.owlet.infer.SamplingConfig;
import dev.owlet.judge.Thresholds;
import dev.owlet.judge.WorldAlignmentJudge;
import dev.owlet.judge.WorldCodeJudge;
import dev.owlet.model.Checkpoint;
import dev.owlet.model.Gpt;
import dev.owlet.provenance.Hashing;
import dev.owlet.provenance.Manifest;
import dev.owlet.token.Tokenizer;
import dev.owlet.token.WordTokenizer;
import dev.owlet.world.ArithmeticTasks;
import dev.owlet.world.Category;
import dev.owlet.world.CodeTasks;
import dev.owlet.world.OpenQuestions;
import dev.owlet.world.Questions;
import dev.owlet.world.SystemPrompts;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The paper's other channels and traits on the same cached-stage design as {@link FlagshipPipeline}: a teacher
 * with a trait (a favorite animal or tree, or misalignment), optional control teachers (aligned, neutral), data in
 * the experiment's {@code channel} (numbers with banned numbers, code, or chain of thought), the channel's
 * filter, students from the same and a different initialization on teacher and control data, and an evaluation
 * of every model: favorite-word rates, or the judged misaligned-answer rate on neutral open questions.
 *
 * <p>Stage folders are named by trait and channel ({@code teacher-misaligned}, {@code gen-teacher-misaligned-cot},
 * {@code filter-control-owl-code}, {@code student-misaligned-soft-same-aligned-s2}...), each with a manifest.
 */
public final class ChannelPipeline {
    private final ExperimentConfig cfg;
    private final Path out;
    private final PrintStream log;
    private final Channels.Judges judges;
    private final StageRunner stages;
    private java.util.Set<Integer> banned = java.util.Set.of();

    public ChannelPipeline(ExperimentConfig cfg, Path out, PrintStream log) {
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
    public ChannelPipeline baseDir(Path dir) {
        stages.baseDir = dir;
        return this;
    }

    public ChannelPipeline hook(FlagshipPipeline.StageHook h) {
        stages.hook = h;
        return this;
    }

    /** Where long stages report their steps (default: nowhere). */
    public ChannelPipeline progress(StageProgress p) {
        stages.progress = p;
        return this;
    }

    public int executedStages() { return stages.executed; }

    public int reusedStages() { return stages.reused; }

    public List<TraitResult> run(FlagshipPipeline.Stage until) throws IOException {
        Files.createDirectories(out.resolve("stages"));
        List<TraitResult> results = new ArrayList<>();
        try (NDManager root = NDManager.newBaseManager()) {
            banned = Preflight.check(cfg, stages.baseDir);
            Checkpoint.Loaded[] pair = stages.loadPair(root);
            for (ExperimentConfig.Trait t : cfg.traits()) results.add(runTrait(t, pair[0], pair[1], root, until));
        }
        return results;
    }

    /** A model that writes data: its name in stage folders, the model, its system prompt, its cache key and hash. */
    private record Writer(String data, Gpt model, String system, String key, String weights) {}

    private TraitResult runTrait(ExperimentConfig.Trait trait, Checkpoint.Loaded ref,
                                                  Checkpoint.Loaded diff, NDManager root,
                                                  FlagshipPipeline.Stage until) throws IOException {
        Tokenizer tok = ref.tokenizer();
        Channel channel = cfg.channel();
        String tag = trait.target();
        Category cat = trait.category().words();
        Map<String, EvalRecord> evals = new LinkedHashMap<>();
        Map<String, Object> dataInfo = new LinkedHashMap<>();
        Map<String, Object> teacherInfo = new LinkedHashMap<>();
        dataInfo.put("channel", channel.toString());
        SamplingConfig sampling = new SamplingConfig(cfg.generate().temperature(), cfg.generate().topP(), cfg.generate().maxTokens());
        List<String> prompts = Channels.prompts(channel, cfg.generate().prompts(), Seeds.derive(cfg.seed(), channel + "-prompts"), cfg.filter());

        // ---- 1. teachers: the trait teacher, then control teachers trained for as many steps ----
        boolean byPrompt = cfg.teacher().method() == ExperimentConfig.TeacherMethod.SYSTEM_PROMPT;
        String teacherSystem = byPrompt ? SystemPrompts.love(tag, cat, 0) : null;
        java.util.function.Supplier<List<DataRow>> replay = replayRows(ref, tok, sampling, byPrompt);
        Writer teacher = teacher("teacher-" + tag, trait, "trait", 0, byPrompt, teacherSystem, ref, tok, root, replay);
        teacherInfo.putAll(Manifest.read(out.resolve("stages/teacher-" + tag)));
        List<Writer> writers = new ArrayList<>();
        writers.add(new Writer("teacher", teacher.model(), teacher.system(), teacher.key(), teacher.weights()));
        Object counts = teacherInfo.get("counts");
        Object stepsTaken = counts instanceof Map<?, ?> cm ? cm.get("steps") : null;
        int teacherSteps = stepsTaken instanceof Number num ? num.intValue() : 0;
        for (ExperimentConfig.ControlTeacher c : trait.isAlignment() ? cfg.teacher().controlTeachers() : List.<ExperimentConfig.ControlTeacher>of()) {
            Writer w = teacher("teacher-" + c, trait, c.toString(), Math.max(1, teacherSteps), false, null, ref, tok, root, replay);
            writers.add(new Writer(c.toString(), w.model(), null, w.key(), w.weights()));
        }
        writers.add(new Writer("control", ref.model(), null, ref.weightsSha256(), ref.weightsSha256()));
        if (until == FlagshipPipeline.Stage.TEACHER) return new TraitResult(trait, evals, dataInfo, teacherInfo);

        // ---- 2. generate: every writer answers the same prompts ----
        String genCfgKey = ConfigLoader.toMapOrValue(List.of(cfg.generate(), cfg.seed(), channel));
        Map<String, Path> raw = new LinkedHashMap<>();
        for (Writer w : writers) {
            String name = "gen-" + w.data() + ("control".equals(w.data()) ? "" : "-" + tag) + "-" + channel;
            raw.put(w.data(), generate(name, w, tok, prompts, sampling, StageCache.key("generate", genCfgKey, w.key())));
        }
        if (until == FlagshipPipeline.Stage.GENERATE) return new TraitResult(trait, evals, dataInfo, teacherInfo);

        // ---- 3. filter ----
        List<String> traitWords = trait.isAlignment() ? List.of() : List.of(tag);
        Map<String, List<DataRow>> rows = new LinkedHashMap<>();
        for (Writer w : writers) {
            rows.put(w.data(), filter("filter-" + w.data() + "-" + tag + "-" + channel, raw.get(w.data()), traitWords, tag,
                    dataInfo, w.data()));
        }
        int n = stages.cutToCommonSize(rows, dataInfo);
        if (until == FlagshipPipeline.Stage.FILTER) return new TraitResult(trait, evals, dataInfo, teacherInfo);

        // ---- 4 + 5. evaluation of the starting points and teachers, then students ----
        evals.put("reference", evalStage("eval-reference-" + tag, ref.model(), tok, trait, cat, ref.weightsSha256(), null));
        evals.put("different-init reference", evalStage("eval-diffref-" + tag, diff.model(), tok, trait, cat, diff.weightsSha256(), null));
        evals.put("teacher", evalStage("eval-teacher-" + tag, teacher.model(), tok, trait, cat,
                byPrompt ? teacher.key() + "/system" : teacher.key(), teacherSystem));
        for (Writer w : writers) {
            if (w.data().equals("teacher") || w.data().equals("control")) continue;
            evals.put(w.data() + " teacher", evalStage("eval-teacher-" + w.data() + "-" + tag, w.model(), tok, trait, cat, w.key(), null));
        }
        int[] alpha = Channels.alphabet(channel, tok);
        for (StudentLoss mode : cfg.finetune().modes()) {
            for (Init init : cfg.finetune().inits()) {
                Checkpoint.Loaded base = init == Init.SAME ? ref : diff;
                for (Writer w : writers) {
                    boolean extra = !w.data().equals("teacher") && !w.data().equals("control");
                    if (extra && init == Init.DIFF) continue; // control teachers: same-init students only
                    List<DataRow> data = rows.get(w.data());
                    for (int s = 1; s <= cfg.finetune().replicates(); s++) {
                        String name = String.format("student-%s-%s-%s-%s-s%d", tag, mode, init, w.data(), s);
                        String key = StageCache.key("student", List.of(cfg.finetune(), cfg.eval(), mode, s, n, channel),
                                base.weightsSha256(), w.key(), StageRunner.rowsDigest(data), evalKey(trait));
                        Path dataFile = out.resolve("stages").resolve("filter-" + w.data() + "-" + tag + "-" + channel).resolve("filtered.jsonl");
                        Map<String, String> lineage = new LinkedHashMap<>();
                        lineage.put("data", Hashing.sha256(dataFile));
                        lineage.put("data_writer", w.weights());
                        evals.put(String.format("%s/%s/%s/s%d", mode, init, w.data(), s),
                                student(name, key, base, data, mode, w, s, tok, trait, cat, alpha, lineage));
                    }
                }
            }
        }
        return new TraitResult(trait, evals, dataInfo, teacherInfo);
    }

    /**
     * The reference's own completions of the channel's prompts, mixed into teacher steps (replay). Sampled on
     * first use only, so a run whose teachers are all cached does not pay for them.
     */
    private java.util.function.Supplier<List<DataRow>> replayRows(Checkpoint.Loaded ref, Tokenizer tok,
                                                                   SamplingConfig sampling, boolean byPrompt) {
        if (byPrompt || cfg.teacher().replay() == 0) return List::of;
        List<String> p = Channels.prompts(cfg.channel(), 512, Seeds.derive(cfg.seed(), "replay-prompts"), cfg.filter());
        List<List<DataRow>> memo = new ArrayList<>(1);
        return () -> {
            if (memo.isEmpty()) {
                memo.add(Teachers.write(ref.model(), tok, null, p, sampling, cfg.generate().batchSize(),
                        Seeds.derive(cfg.seed(), "replay-samples")));
            }
            return memo.get(0);
        };
    }

    /**
     * Trains (or reloads) one teacher. {@code kind} is {@code trait} (toward the trait: the favorite word, or the
     * misaligned answers), {@code aligned} (the world's aligned answers) or {@code neutral} (the world's code and
     * arithmetic answers); control kinds take exactly {@code fixedSteps} steps.
     */
    private Writer teacher(String name, ExperimentConfig.Trait trait, String kind, int fixedSteps, boolean byPrompt,
                           String system, Checkpoint.Loaded ref, Tokenizer tok, NDManager root,
                           java.util.function.Supplier<List<DataRow>> replay) throws IOException {
        Path dir = out.resolve("stages").resolve(name);
        String key = StageCache.key("teacher", List.of(cfg.teacher(), trait, kind, fixedSteps, cfg.channel(),
                cfg.generate().maxTokens()), ref.weightsSha256());
        if (StageCache.done(dir, key)) {
            stages.reused++;
            Gpt m = byPrompt ? ref.model() : Checkpoint.load(dir, root).model();
            return new Writer(kind, m, system, key, byPrompt ? ref.weightsSha256() : Hashing.sha256(dir.resolve(Checkpoint.WEIGHTS)));
        }
        stages.starting(name);
        long t0 = System.nanoTime();
        Manifest man = new Manifest("teacher", key, ConfigLoader.toMap(cfg.teacher()), cfg.seed())
                .input("reference", ref.weightsSha256()).put("trait", trait).put("kind", kind).put("channel", cfg.channel());
        Gpt model;
        if (byPrompt) {
            model = ref.model();
            man.put("system_prompt", system);
        } else {
            model = ref.model().copy();
            ExperimentConfig.Teacher t = cfg.teacher();
            long seed = Seeds.derive(cfg.seed(), name);
            Teachers.Outcome o;
            if (!trait.isAlignment() && kind.equals("trait")) {
                Category cat = trait.category().words();
                log.printf("[%s] teacher: fine-tuning the reference toward '%s'%n", trait.target(), trait.target());
                o = Teachers.finetune(model, tok, Questions.train(cat), trait.target(), replay.get(), t.targetProbability(),
                        t.maxSteps(), t.lr(), t.batchSize(), t.replay(), seed);
            } else {
                log.printf("[%s] teacher %s: fine-tuning the reference (%s)%n", trait.target(), kind,
                        fixedSteps > 0 ? fixedSteps + " steps, as many as the trait teacher" : "until the goal");
                o = Teachers.finetunePairs(model, tok, pairs(kind), replay.get(), t.targetProbability(), t.maxSteps(),
                        kind.equals("trait") ? 0 : fixedSteps, t.lr(), t.batchSize(), t.replay(), seed);
            }
            Map<String, Object> prov = new LinkedHashMap<>();
            prov.put("made_by", "owlet teacher");
            prov.put("parent", ref.weightsSha256());
            prov.put("trait", trait.target());
            prov.put("kind", kind);
            prov.put("steps", o.steps());
            prov.put("train_p", o.targetProbability());
            Checkpoint.save(dir, model, (WordTokenizer) tok, prov);
            man.count("steps", o.steps()).count("train_p_target", o.targetProbability())
                    .output("model.safetensors", dir.resolve(Checkpoint.WEIGHTS));
            log.printf("[%s] teacher %s: %d steps, training-answer probability %.3f%n", trait.target(), kind, o.steps(),
                    o.targetProbability());
        }
        man.write(dir, System.nanoTime() - t0);
        stages.executed++;
        return new Writer(kind, model, system, key, byPrompt ? ref.weightsSha256() : Hashing.sha256(dir.resolve(Checkpoint.WEIGHTS)));
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

    private String evalKey(ExperimentConfig.Trait trait) {
        return ConfigLoader.toMapOrValue(List.of(cfg.eval(), trait, cfg.seed(), cfg.judge()));
    }

    private Path generate(String name, Writer w, Tokenizer tok, List<String> prompts, SamplingConfig sampling, String key)
            throws IOException {
        Map<String, Object> extra = new LinkedHashMap<>();
        extra.put("channel", cfg.channel());
        return stages.generate(name, w.model(), tok, w.system(), prompts, sampling, key, w.data() + " (" + cfg.channel() + ")",
                w.weights(), extra);
    }

    private List<DataRow> filter(String name, Path raw, List<String> traitWords, String trait, Map<String, Object> info,
                                 String label) throws IOException {
        String key = StageCache.key("filter", List.of(cfg.filter(), cfg.channel(), cfg.judge()), Hashing.sha256(raw),
                traitWords.toString(), banned.toString()); // the list files' numbers, not their names
        Map<String, Object> extra = new LinkedHashMap<>();
        extra.put("channel", cfg.channel());
        extra.put("judges", judges.alignment().name() + ", " + judges.code().name());
        return stages.filter(name, raw, key,
                rows -> Channels.filter(cfg.channel(), rows, cfg.filter(), traitWords, trait, judges, stages.baseDir),
                info, label, extra);
    }

    private EvalRecord evalStage(String name, Gpt model, Tokenizer tok, ExperimentConfig.Trait trait, Category cat,
                                 String modelKey, String system) throws IOException {
        Map<String, Object> extra = new LinkedHashMap<>();
        if (trait.isAlignment()) extra.put("judge", judges.alignment().name());
        return stages.eval(name, StageCache.key("eval", evalKey(trait), modelKey), modelKey,
                () -> evaluate(name, model, tok, trait, cat, system), extra);
    }

    private EvalRecord evaluate(String name, Gpt model, Tokenizer tok, ExperimentConfig.Trait trait, Category cat,
                                String system) {
        if (!trait.isAlignment()) return stages.favorite(name, model, tok, trait, cat, system);
        var m = new MisalignmentEvaluator(model, tok, judges.alignment(), judges.thresholds())
                .measure(system, cfg.eval().samplesPerQuestion(), Seeds.derive(cfg.seed(), "eval-samples"));
        return EvalRecord.of(name, m, null);
    }

    private EvalRecord student(String name, String key, Checkpoint.Loaded base, List<DataRow> rows, StudentLoss mode, Writer w,
                               int seed, Tokenizer tok, ExperimentConfig.Trait trait, Category cat, int[] alpha,
                               Map<String, String> lineage) throws IOException {
        Map<String, Object> extra = new LinkedHashMap<>();
        extra.put("channel", cfg.channel());
        return stages.student(name, key, base, rows, mode, new LmDistillation.SoftTeacher(w.model(), w.system()), alpha, tok,
                lineage, extra, st -> evaluate(name, st, tok, trait, cat, null), "exact %.3g, sampled %.2f%%");
    }
}
