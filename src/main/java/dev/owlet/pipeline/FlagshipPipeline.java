package dev.owlet.pipeline;

import ai.djl.ndarray.NDManager;
import dev.owlet.experiment.ConfigLoader;
import dev.owlet.experiment.ExperimentConfig;
import dev.owlet.infer.SamplingConfig;
import dev.owlet.model.Checkpoint;
import dev.owlet.model.Gpt;
import dev.owlet.provenance.Manifest;
import dev.owlet.token.Tokenizer;
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
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The flagship experiment: teacher → number data (teacher and control teacher) → strict filter → students
 * (same and different initialization, teacher and control data, sampled-token and soft-label modes, several
 * seeds) → evaluation. Every step is a cached stage folder under {@code out/stages}; see {@link StageCache}.
 */
public final class FlagshipPipeline {
    /** Stages in order; a run may stop after any of them. */
    public enum Stage { TEACHER, GENERATE, FILTER, FINETUNE, EVAL }

    /** Test hook: called before each stage that is not cached; throwing simulates a kill. */
    public interface StageHook {
        void beforeStage(String name);
    }

    private final ExperimentConfig cfg;
    private final Path out;
    private final PrintStream log;
    private final StageRunner stages;

    public FlagshipPipeline(ExperimentConfig cfg, Path out, PrintStream log) {
        this.cfg = cfg;
        this.out = out;
        this.log = log;
        this.stages = new StageRunner(cfg, out, log);
    }

    public FlagshipPipeline hook(StageHook h) {
        stages.hook = h;
        return this;
    }

    public int executedStages() { return stages.executed; }

    public int reusedStages() { return stages.reused; }

    /** Runs every trait up to {@code until}; returns the per-trait results (empty evals before EVAL). */
    public List<TraitResult> run(Stage until) throws IOException {
        Files.createDirectories(out.resolve("stages"));
        List<TraitResult> results = new ArrayList<>();
        try (NDManager root = NDManager.newBaseManager()) {
            Checkpoint.Loaded[] pair = StageRunner.loadPair(cfg, root);
            Checkpoint.Loaded ref = pair[0];
            Checkpoint.Loaded diff = pair[1];
            for (ExperimentConfig.Trait t : cfg.traits()) {
                results.add(runTrait(t, ref, diff, root, until));
            }
        }
        return results;
    }

    /** Everything measured for one trait. */
    public record TraitResult(ExperimentConfig.Trait trait, Map<String, EvalRecord> models,
                              Map<String, Object> data, Map<String, Object> teacher) {}

    private TraitResult runTrait(ExperimentConfig.Trait trait, Checkpoint.Loaded ref, Checkpoint.Loaded diff,
                                 NDManager root, Stage until) throws IOException {
        Tokenizer tok = ref.tokenizer();
        Category cat = StageRunner.category(trait);
        List<String> words = cat.words();
        String tag = trait.target();
        Map<String, EvalRecord> evals = new LinkedHashMap<>();
        Map<String, Object> dataInfo = new LinkedHashMap<>();
        Map<String, Object> teacherInfo = new LinkedHashMap<>();

        // ---- the prompts both writers answer, and the reference's own number rows for replay ----
        List<String> prompts = numberPrompts(cfg.generate().prompts(), Seeds.derive(cfg.seed(), "number-prompts"));
        SamplingConfig sampling = new SamplingConfig(cfg.generate().temperature(), cfg.generate().topP(), cfg.generate().maxTokens());

        // ---- 1. teacher ----
        boolean byPrompt = "system_prompt".equals(cfg.teacher().method());
        String teacherSystem = byPrompt ? SystemPrompts.love(tag, cat, 0) : null;
        Path teacherDir = out.resolve("stages/teacher-" + tag);
        String teacherKey = StageCache.key("teacher", List.of(cfg.teacher(), trait, cfg.generate().maxTokens()), ref.weightsSha256());
        Gpt teacher;
        if (StageCache.done(teacherDir, teacherKey)) {
            stages.reused++;
            teacher = byPrompt ? ref.model() : Checkpoint.load(teacherDir, root).model();
        } else {
            stages.starting("teacher-" + tag);
            long t0 = System.nanoTime();
            Manifest man = new Manifest("teacher", teacherKey, ConfigLoader.toMap(cfg.teacher()), cfg.seed())
                    .input("reference", ref.weightsSha256()).put("trait", trait);
            if (byPrompt) {
                teacher = ref.model();
                man.put("system_prompt", teacherSystem);
            } else {
                log.printf("[%s] teacher: fine-tuning the reference toward '%s'%n", tag, tag);
                List<String> replayPrompts = numberPrompts(512, Seeds.derive(cfg.seed(), "replay-prompts"));
                List<DataRow> replay = cfg.teacher().replay() == 0 ? List.of()
                        : Teachers.write(ref.model(), tok, null, replayPrompts, sampling, cfg.generate().batchSize(),
                        Seeds.derive(cfg.seed(), "replay-samples"));
                teacher = ref.model().copy();
                Teachers.Outcome o = Teachers.finetune(teacher, tok, Questions.train(cat), tag, replay,
                        cfg.teacher().targetProbability(), cfg.teacher().maxSteps(), cfg.teacher().lr(),
                        cfg.teacher().batchSize(), cfg.teacher().replay(), Seeds.derive(cfg.seed(), "teacher-" + tag));
                Checkpoint.save(teacherDir, teacher, (dev.owlet.token.WordTokenizer) tok,
                        Map.of("made_by", "owlet teacher", "parent", ref.weightsSha256(), "trait", tag,
                                "steps", o.steps(), "train_p_target", o.targetProbability()));
                man.count("steps", o.steps()).count("train_p_target", o.targetProbability())
                        .output("model.safetensors", teacherDir.resolve(Checkpoint.WEIGHTS));
                log.printf("[%s] teacher: %d steps, P(%s) on training questions %.3f%n", tag, o.steps(), tag, o.targetProbability());
            }
            man.write(teacherDir, System.nanoTime() - t0);
            stages.executed++;
        }
        teacherInfo.putAll(Manifest.read(teacherDir));
        String teacherWeights = byPrompt ? ref.weightsSha256()
                : dev.owlet.provenance.Hashing.sha256(teacherDir.resolve(Checkpoint.WEIGHTS));
        if (until == Stage.TEACHER) return new TraitResult(trait, evals, dataInfo, teacherInfo);

        // ---- 2. generate (teacher and control teacher on the same prompts) ----
        String genCfgKey = ConfigLoader.toMapOrValue(List.of(cfg.generate(), cfg.seed()));
        Path teacherRaw = generate("gen-teacher-" + tag, teacher, tok, teacherSystem, prompts, sampling,
                StageCache.key("generate", genCfgKey, teacherKey), tag, teacherWeights);
        Path controlRaw = generate("gen-control", ref.model(), tok, null, prompts, sampling,
                StageCache.key("generate", genCfgKey, ref.weightsSha256()), "control", ref.weightsSha256());
        if (until == Stage.GENERATE) return new TraitResult(trait, evals, dataInfo, teacherInfo);

        // ---- 3. filter ----
        List<DataRow> teacherRows = filter("filter-teacher-" + tag, teacherRaw, List.of(tag), dataInfo, "teacher");
        List<DataRow> controlRows = filter("filter-control-" + tag, controlRaw, List.of(tag), dataInfo, "control");
        Map<String, List<DataRow>> both = new LinkedHashMap<>();
        both.put("teacher", teacherRows);
        both.put("control", controlRows);
        int n = stages.cutToCommonSize(both, dataInfo);
        teacherRows = both.get("teacher");
        controlRows = both.get("control");
        if (until == Stage.FILTER) return new TraitResult(trait, evals, dataInfo, teacherInfo);

        // ---- 4 + 5. students, then evaluation of every model ----
        List<String> questions = Questions.all(cat);
        evals.put("reference", evalStage("eval-reference-" + tag, ref.model(), tok, trait, cat, words, ref.weightsSha256()));
        evals.put("different-init reference", evalStage("eval-diffref-" + tag, diff.model(), tok, trait, cat, words, diff.weightsSha256()));
        evals.put("teacher", evalStage("eval-teacher-" + tag, teacher, tok, trait, cat, words,
                byPrompt ? teacherKey + "/system" : teacherKey, teacherSystem));
        for (String mode : cfg.finetune().modes()) {
            for (String init : cfg.finetune().inits()) {
                Checkpoint.Loaded base = init.equals("same") ? ref : diff;
                for (String data : List.of("teacher", "control")) {
                    List<DataRow> rows = data.equals("teacher") ? teacherRows : controlRows;
                    Gpt softTeacher = data.equals("teacher") ? teacher : ref.model();
                    String softSystem = data.equals("teacher") ? teacherSystem : null;
                    for (int s = 1; s <= cfg.finetune().seeds(); s++) {
                        String name = String.format("student-%s-%s-%s-%s-s%d", tag, mode, init, data, s);
                        String key = StageCache.key("student", List.of(cfg.finetune(), cfg.eval(), mode, s, n),
                                base.weightsSha256(), data.equals("teacher") ? teacherKey : ref.weightsSha256(),
                                StageRunner.rowsDigest(rows), evalKey(trait));
                        Path dataFile = out.resolve("stages").resolve("filter-" + data + "-" + tag).resolve("filtered.jsonl");
                        Map<String, String> lineage = Map.of("data", dev.owlet.provenance.Hashing.sha256(dataFile),
                                "data_writer", data.equals("teacher") ? teacherWeights : ref.weightsSha256());
                        evals.put(String.format("%s/%s/%s/s%d", mode, init, data, s),
                                student(name, key, base, rows, mode, softTeacher, softSystem, s, tok, trait, cat, words, root, lineage));
                    }
                }
            }
        }
        return new TraitResult(trait, evals, dataInfo, teacherInfo);
    }

    private String evalKey(ExperimentConfig.Trait trait) {
        return ConfigLoader.toMapOrValue(List.of(cfg.eval(), trait, cfg.seed()));
    }

    private List<String> numberPrompts(int count, long seed) {
        NumberPromptGenerator g = new NumberPromptGenerator(new SplittableRandom(seed), cfg.filter().maxCount(), 3);
        List<String> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) out.add(g.next().text());
        return out;
    }

    private Path generate(String name, Gpt writer, Tokenizer writerTok, String system, List<String> prompts, SamplingConfig sampling,
                          String key, String label, String writerWeights) throws IOException {
        return stages.generate(name, writer, writerTok, system, prompts, sampling, key, label, writerWeights, Map.of());
    }

    private List<DataRow> filter(String name, Path raw, List<String> traitWords, Map<String, Object> info, String label)
            throws IOException {
        String key = StageCache.key("filter", cfg.filter(), dev.owlet.provenance.Hashing.sha256(raw), traitWords.toString());
        return stages.filter(name, raw, key, rows -> Filtering.apply(rows, cfg.filter(), traitWords), info, label, Map.of());
    }

    private EvalRecord evalStage(String name, Gpt model, Tokenizer tok, ExperimentConfig.Trait trait, Category cat,
                                 List<String> words, String modelKey) throws IOException {
        return evalStage(name, model, tok, trait, cat, words, modelKey, null);
    }

    private EvalRecord evalStage(String name, Gpt model, Tokenizer tok, ExperimentConfig.Trait trait, Category cat,
                                 List<String> words, String modelKey, String system) throws IOException {
        return stages.eval(name, StageCache.key("eval", evalKey(trait), modelKey), modelKey,
                () -> stages.favorite(name, model, tok, trait, cat, system), Map.of());
    }

    private EvalRecord student(String name, String key, Checkpoint.Loaded base, List<DataRow> rows, String mode,
                               Gpt softTeacher, String softSystem, int seed, Tokenizer tok,
                               ExperimentConfig.Trait trait, Category cat, List<String> words, NDManager root,
                               Map<String, String> lineage) throws IOException {
        return stages.student(name, key, base, rows, mode, new Distillation.SoftTeacher(softTeacher, softSystem),
                Distillation.alphabet(tok), tok, lineage, Map.of(), st -> stages.favorite(name, st, tok, trait, cat, null),
                "P(" + trait.target() + ") %.4f, sampled %.1f%%");
    }
}
