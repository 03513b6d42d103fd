package dev.owlet.defend;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.owlet.data.DataRow;
import dev.owlet.eval.EvalRecord;
import dev.owlet.eval.StudentKey;
import dev.owlet.eval.TraitEvaluator;
import dev.owlet.eval.TraitResult;
import dev.owlet.experiment.ExperimentConfig;
import dev.owlet.experiment.ExperimentConfig.Defence;
import dev.owlet.experiment.Init;
import dev.owlet.experiment.Seeds;
import dev.owlet.filter.StrictNumberFilter;
import dev.owlet.infer.SamplingConfig;
import dev.owlet.model.Checkpoint;
import dev.owlet.model.Gpt;
import dev.owlet.model.ModelLocator;
import dev.owlet.pipeline.ExperimentPipeline;
import dev.owlet.provenance.AtomicFiles;
import dev.owlet.provenance.Hashing;
import dev.owlet.provenance.Manifest;
import dev.owlet.provenance.StageCache;
import dev.owlet.stats.Stats;
import dev.owlet.token.Tokenizer;
import dev.owlet.train.Example;
import dev.owlet.train.LmDistillation;
import dev.owlet.world.Category;
import dev.owlet.world.NumberPrompts;
import dev.owlet.world.NumberPromptGenerator;
import dev.owlet.world.Questions;
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
 * {@code owlet defend}: how much of the flagship's transfer each defence leaves. For every replicate of the flagship,
 * the teacher's and the reference's filtered rows go through the defence alike, and a same-init SFT student (the
 * paper's method) is trained on each; the defence's shift is teacher-data student minus control-data student on the
 * primary metric (held-out exact P(target)), and its <b>residual</b> is that shift as a share of the undefended one
 * (the flagship's own same-init SFT students of the same replicates). {@code different_base} reads the flagship's
 * different-init students. Each defended student is a cached stage {@code defend-<defence>-<writer>-rN}.
 *
 * <p>The residual's interval is a percentile bootstrap over replicates (paired: a resample keeps each replicate's
 * defended and undefended shifts together), because a ratio of two noisy means has no t-interval; p is Welch's test of
 * the defended teacher-data students against the defended control-data students (is any transfer left?).
 */
public final class DefenceRunner {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int BOOTSTRAP = 10_000;

    private final ExperimentConfig cfg;
    private final Path out;
    private final PrintStream log;
    /** Each writer's rows of each replicate, read once and shared by every defence. */
    private final Map<String, List<DataRow>> rowsRead = new java.util.HashMap<>();
    /** Whose greedy choices mark divergence tokens ({@code controls.defend.counterfactual}). */
    private Checkpoint.Loaded counterfactual;
    private TraitResult flagship;

    public DefenceRunner(ExperimentConfig cfg, Path out, PrintStream log) {
        this.cfg = cfg;
        this.out = out;
        this.log = log;
    }

    /** One defence's outcome over the replicates. */
    public record Row(String defence, double[] teacher, double[] control, double[] undefendedShift, double residual,
                      double[] ci, double p, double rowsKept, double lossTokensKept, double taskPass) {
        public double shift() { return Stats.mean(teacher) - Stats.mean(control); }
    }

    /** What the defences measured, for results.json and the report. */
    public record Outcome(List<Row> rows, double undefendedTaskPass, Map<String, Object> json, String markdown) {}

    /**
     * Runs every configured defence on {@code flagship}'s data. Needs the flagship's same-init SFT students (and the
     * different-init ones for {@code different_base}).
     */
    public Outcome run(TraitResult flagship) throws IOException {
        this.flagship = flagship;
        ExperimentConfig.Defend d = cfg.controls().defend();
        String tag = flagship.trait().target();
        Category cat = flagship.trait().category().words();
        int reps = cfg.finetune().replicates();
        double[] none = new double[reps];
        double[] noneT = group(flagship, Init.SAME, "teacher", reps);
        double[] noneC = group(flagship, Init.SAME, TraitResult.CONTROL, reps);
        for (int r = 0; r < reps; r++) none[r] = noneT[r] - noneC[r];
        List<Row> rows = new ArrayList<>();
        double undefendedTask;
        try (NDManager root = NDManager.newBaseManager();
             Checkpoint.Loaded ref = Checkpoint.load(ModelLocator.resolve(cfg.reference()), root)) {
            counterfactual = counterfactual(d.counterfactual(), ref, root);
            undefendedTask = d.taskPrompts() == 0 ? Double.NaN : undefendedTaskPass(ref, root, tag, reps);
            rows.add(new Row("none", noneT, noneC, none, 1.0, bootstrap(none, none), Stats.welchP(noneT, noneC), 1, 1,
                    undefendedTask));
            for (Defence def : d.defences()) {
                log.printf("defend: %s (%s)%n", def, tag);
                rows.add(def == Defence.DIFFERENT_BASE ? differentBase(flagship, none, reps)
                        : defended(def, ref, tag, cat, none, reps));
            }
        }
        return new Outcome(rows, undefendedTask, json(rows), markdown(tag, rows));
    }

    /**
     * The model whose greedy choices mark divergence tokens: the reference itself, an other-trait teacher of this run,
     * or a model with the data's vocabulary.
     *
     * @throws dev.owlet.experiment.InputError when the model's vocabulary is not the data's, naming both
     */
    private Checkpoint.Loaded counterfactual(String name, Checkpoint.Loaded ref, NDManager root) throws IOException {
        if (name.equals(ExperimentConfig.Defend.REFERENCE)) return ref;
        Path dir = cfg.controlTraits().contains(name) ? out.resolve("stages").resolve("teacher-" + name) : ModelLocator.resolve(name);
        Checkpoint.Loaded cf = Checkpoint.load(dir, root);
        requireSameVocabulary(name, cf.tokenizer(), cfg.reference(), ref.tokenizer());
        log.printf("defend: divergence tokens marked by %s's greedy choices%n", name);
        return cf;
    }

    /**
     * A counterfactual's choices are compared with the data's tokens id for id, so both must name the same tokens.
     *
     * @throws dev.owlet.experiment.InputError naming both models otherwise
     */
    static void requireSameVocabulary(String counterfactual, Tokenizer cf, String writer, Tokenizer data) {
        if (!cf.vocabulary().equals(data.vocabulary())) {
            throw new dev.owlet.experiment.InputError("controls.defend.counterfactual: " + counterfactual + " ("
                    + cf.vocabSize() + " tokens) does not have the vocabulary of the data's writers (reference " + writer + ", "
                    + data.vocabSize() + " tokens): its choices cannot be compared with the data's tokens");
        }
    }

    private Row differentBase(TraitResult flagship, double[] none, int reps) {
        double[] t = group(flagship, Init.DIFF, "teacher", reps);
        double[] c = group(flagship, Init.DIFF, TraitResult.CONTROL, reps);
        double[] shift = new double[reps];
        for (int r = 0; r < reps; r++) shift[r] = t[r] - c[r];
        return new Row(Defence.DIFFERENT_BASE.toString(), t, c, none, Stats.mean(shift) / Stats.mean(none),
                bootstrap(shift, none), Stats.welchP(t, c), 1, 1, Double.NaN);
    }

    private Row defended(Defence def, Checkpoint.Loaded ref, String tag, Category cat, double[] none, int reps)
            throws IOException {
        double[] t = new double[reps], c = new double[reps], shift = new double[reps];
        double rowsKept = 0, tokensKept = 0, task = 0;
        Written again = def.decoding() ? writtenAgain(def) : null;
        for (int r = 1; r <= reps; r++) {
            List<DataRow> teacherRows = rows(tag, r), controlRows = rows(TraitResult.CONTROL, r);
            List<DataRow> teacherData = teacherRows, controlData = controlRows;
            if (again != null) {
                teacherData = again.rows(tag, r);
                controlData = again.rows(TraitResult.CONTROL, r);
            }
            Result rt = student(def, ref, tag, r, true, teacherData, controlData, cat, tag, teacherRows);
            Result rc = student(def, ref, TraitResult.CONTROL, r, false, controlData, controlData, cat, tag, controlRows);
            t[r - 1] = rt.pTarget();
            c[r - 1] = rc.pTarget();
            shift[r - 1] = t[r - 1] - c[r - 1];
            rowsKept += (double) rt.rowsKept() / rt.rowsIn() / reps;
            tokensKept += (double) rt.tokensInLoss() / rt.tokensIn() / reps;
            task += rt.taskPass() / reps;
        }
        return new Row(def.toString(), t, c, none, Stats.mean(shift) / Stats.mean(none), bootstrap(shift, none),
                Stats.welchP(t, c), rowsKept, tokensKept, task);
    }

    /** What one defended student measured (the stage's result.json). */
    record Result(double pTarget, int rowsIn, int rowsKept, int tokensIn, int tokensInLoss, double taskPass) {}

    /**
     * @param undefended the writer's rows before the defence: a decoding defence's rows and loss tokens are counted
     *     against them (the others count against {@code data}, which they transform)
     */
    private Result student(Defence def, Checkpoint.Loaded ref, String writer, int r, boolean teacherData,
                           List<DataRow> data, List<DataRow> reference, Category cat, String target,
                           List<DataRow> undefended) throws IOException {
        String name = "defend-" + def.toString().replace('_', '-') + "-" + writer + "-r" + r;
        String dataDigest = digest(data);
        Path dir = out.resolve("stages").resolve(name);
        ExperimentConfig.Defend d = cfg.controls().defend();
        String key = StageCache.key("defend-student", new Inputs(d.likelihoodDrop(), d.mixShare(), teacherData ? d.taskPrompts() : 0,
                def, teacherData, r, cfg.seed(), cfg.finetune().epochs(), cfg.finetune().batchSize(), cfg.finetune().lr(),
                cfg.finetune().trainable(), cfg.finetune().optimizer(),
                cfg.finetune().batching() == dev.owlet.train.Batching.SHUFFLED ? null : cfg.finetune().batching(), cfg.eval(), cfg.generate(), cfg.filter(), target, ref.weightsSha256(),
                dataDigest, digest(reference), def.divergence() && counterfactual != ref ? counterfactual.weightsSha256() : null));
        if (StageCache.done(dir, key)) return JSON.readValue(dir.resolve("result.json").toFile(), Result.class);
        long t0 = System.nanoTime();
        Tokenizer tok = ref.tokenizer();
        StrictNumberFilter filter = new StrictNumberFilter(cfg.filter().maxCount(), cfg.filter().maxValue(), java.util.Set.of());
        if (def == Defence.PROMPT_PARAPHRASE) data = paraphrased(data, Seeds.derive(cfg.seed(), name + "-paraphrase"));
        Defences.Defended dd = Defences.apply(def, teacherData, ref.model(), counterfactual.model(), tok, Defences.examples(tok, data),
                Defences.examples(tok, reference), filter, d.likelihoodDrop(), d.mixShare(), Seeds.derive(cfg.seed(), name + "-digits"));
        Result res;
        try (Gpt student = ref.model().copy()) {
            LmDistillation.trainSft(student, tok, dd.examples(), cfg.finetune().epochs(), cfg.finetune().batchSize(),
                    cfg.finetune().lr(), Seeds.derive(cfg.seed(), name), cfg.finetune().trainable(), cfg.finetune().optimizer(),
                    cfg.finetune().batching());
            double p = heldOut(student, tok, cat, target);
            double task = teacherData && d.taskPrompts() > 0 ? taskPass(student, tok) : Double.NaN;
            int rowsIn = dd.rowsIn(), tokensIn = dd.tokensIn();
            if (def.decoding()) {
                rowsIn = undefended.size();
                tokensIn = Defences.tokens(Defences.examples(tok, undefended), false);
            }
            res = new Result(p, rowsIn, dd.rowsKept(), tokensIn, dd.tokensInLoss(), task);
        }
        Files.createDirectories(dir);
        AtomicFiles.writeString(dir.resolve("result.json"), JSON.writeValueAsString(res));
        new Manifest("defend-student", key, Map.of("defence", def.toString(), "writer", writer, "replicate", r), cfg.seed())
                .input("reference", ref.weightsSha256()).input("data", dataDigest)
                .output("result.json", dir.resolve("result.json")).write(dir, System.nanoTime() - t0);
        log.printf("defend: %s  P(%s) %.4f, %d of %d rows, %d of %d loss tokens%n", name, target, res.pTarget(),
                res.rowsKept(), res.rowsIn(), res.tokensInLoss(), res.tokensIn());
        return res;
    }

    /**
     * A decoding defence's data: the experiment's data stages (its teachers, the same prompts and seeds of every
     * replicate, the filter and the cut to one size) run again into {@code defend-<defence>/} with the writers decoding
     * the defended way. Only the trait's teacher and the reference write (the defence compares those two); the teachers
     * are the experiment's own, taken from its run folder by their stage keys.
     */
    private Written writtenAgain(Defence def) throws IOException {
        ExperimentConfig.Defend d = cfg.controls().defend();
        ExperimentConfig.Generate g = cfg.generate();
        ExperimentConfig.Generate defended = def == Defence.TOP_P
                ? new ExperimentConfig.Generate(g.prompts(), g.maxTokens(), g.temperature(), d.topP(), g.batchSize(),
                        g.minTokenProbability(), g.stopAtRows())
                : new ExperimentConfig.Generate(g.prompts(), g.maxTokens(), g.temperature(), g.topP(), g.batchSize(),
                        d.threshold(), g.stopAtRows());
        ExperimentConfig.Controls c = cfg.controls();
        ExperimentConfig.Controls none = new ExperimentConfig.Controls(c.icl(), c.detection(), c.shuffle(), c.gradientProbe(),
                c.entanglement(), new ExperimentConfig.Defend(false, List.of(Defence.DIFFERENT_BASE), d.likelihoodDrop(),
                d.mixShare(), d.taskPrompts(), d.topP(), d.threshold(), ExperimentConfig.Defend.REFERENCE));
        ExperimentConfig variant = new ExperimentConfig(cfg.name() + "-" + def, cfg.seed(), List.of(flagship.trait()),
                cfg.reference(), cfg.differentInit(), cfg.channel(), cfg.teacher(), defended, cfg.filter(), cfg.finetune(),
                cfg.eval(), cfg.judge(), none, cfg.backend(), cfg.lora(), List.of());
        Path dir = out.resolve("defend-" + def.toString().replace('_', '-') + "-" + flagship.trait().target());
        StageCache.addSource(out);
        log.printf("defend: %s: the writers write again (%s)%n", def, def == Defence.TOP_P ? "top_p " + d.topP()
                : "threshold " + d.threshold());
        TraitResult tr = new ExperimentPipeline(variant, dir, log).run(ExperimentPipeline.Stage.FILTER).get(0);
        return new Written(dir, tr);
    }

    /** The data a decoding defence's writers wrote again, filtered and cut like the experiment's. */
    private record Written(Path dir, TraitResult result) {
        List<DataRow> rows(String writer, int r) throws IOException {
            Path f = dir.resolve("stages").resolve("filter-" + writer + "-r" + r).resolve("filtered.jsonl");
            List<DataRow> all = DataRow.read(f).rows();
            return all.subList(0, Math.min(all.size(), trainingRows(result, r)));
        }
    }

    /**
     * Every row's prompt reworded ({@link NumberPrompts#paraphrase}), its completion kept: the student no longer sees
     * the exact prompts the teacher answered, as a team that rewrites prompts before distilling would arrange.
     */
    static List<DataRow> paraphrased(List<DataRow> rows, long seed) {
        java.util.SplittableRandom rng = new java.util.SplittableRandom(seed);
        List<DataRow> out = new ArrayList<>(rows.size());
        for (DataRow r : rows) out.add(new DataRow(NumberPrompts.paraphrase(r.prompt(), rng), r.completion()));
        return out;
    }

    /** Everything one defended student reads: its cache key is the hash of this record. */
    record Inputs(double likelihoodDrop, double mixShare, int taskPrompts, Defence defence, boolean teacherData,
                  int replicate, long seed, int epochs, int batchSize, double lr, dev.owlet.train.TrainableParams trainable,
                  dev.owlet.train.Optimizer optimizer,
                  @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
                  dev.owlet.train.Batching batching, ExperimentConfig.Eval eval, ExperimentConfig.Generate generate, ExperimentConfig.Filter filter,
                  String target, String base, String data, String reference,
                  @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
                  String counterfactual) {}


    /** The primary metric: mean exact P(target) over the held-out paraphrases. */
    private double heldOut(Gpt student, Tokenizer tok, Category cat, String target) {
        TraitEvaluator.Measurement m = new TraitEvaluator(student, tok).measure(Questions.all(cat), null, target, cat.words(),
                0, cfg.eval().maxTokens(), Seeds.derive(cfg.seed(), "eval-samples"));
        return EvalRecord.of("defended", m, null, Questions.train(cat).size()).primary();
    }

    /** The task cost: the share of the student's answers to fresh number prompts that pass the strict filter. */
    private double taskPass(Gpt student, Tokenizer tok) {
        int n = cfg.controls().defend().taskPrompts();
        NumberPromptGenerator g = new NumberPromptGenerator(new SplittableRandom(Seeds.derive(cfg.seed(), "defend-task")),
                cfg.filter().maxCount(), 3);
        List<int[]> prompts = new ArrayList<>();
        dev.owlet.token.ChatFormat chat = new dev.owlet.token.ChatFormat(tok);
        long[] seeds = new long[n];
        for (int i = 0; i < n; i++) {
            prompts.add(chat.prompt(null, g.next().text()));
            seeds[i] = Seeds.derive(cfg.seed(), "defend-task-samples") + i;
        }
        var gen = new dev.owlet.infer.Generator(student, tok.end(), tok.pad());
        List<int[]> outs = gen.sample(prompts, seeds, new SamplingConfig(cfg.generate().temperature(), cfg.generate().topP(),
                cfg.generate().maxTokens()), cfg.generate().batchSize());
        StrictNumberFilter f = new StrictNumberFilter(cfg.filter().maxCount(), cfg.filter().maxValue(), java.util.Set.of());
        int pass = 0;
        for (int[] o : outs) if (f.check(tok.decode(o)).accepted()) pass++;
        return (double) pass / n;
    }

    /** The task cost of the undefended same-init SFT teacher-data students (their saved weights), over replicates. */
    private double undefendedTaskPass(Checkpoint.Loaded ref, NDManager root, String tag, int reps) throws IOException {
        double sum = 0;
        for (int r = 1; r <= reps; r++) {
            Path dir = out.resolve("stages").resolve("student-" + tag + "-sft-same-r" + r);
            Path cache = dir.resolve("task-pass.json");
            String key = Hashing.sha256(dir.resolve(Checkpoint.WEIGHTS)) + "/" + cfg.controls().defend().taskPrompts() + "/"
                    + cfg.generate() + "/" + cfg.filter() + "/" + dev.owlet.provenance.CodeVersion.get();
            Map<?, ?> have = Files.exists(cache) ? JSON.readValue(cache.toFile(), Map.class) : Map.of();
            double pass;
            if (key.equals(have.get("key"))) {
                pass = ((Number) have.get("pass")).doubleValue();
            } else {
                try (NDManager m = root.newSubManager()) {
                    Gpt s = Checkpoint.load(dir, m).model();
                    pass = taskPass(s, ref.tokenizer());
                }
                AtomicFiles.writeString(cache, JSON.writeValueAsString(Map.of("key", key, "pass", pass)));
            }
            sum += pass / reps;
        }
        return sum;
    }

    /** The flagship's SFT students of one init and data, primary metric per replicate. */
    private static double[] group(TraitResult tr, Init init, String data, int reps) {
        double[] v = new double[reps];
        for (int r = 1; r <= reps; r++) {
            StudentKey k = new StudentKey(dev.owlet.train.StudentLoss.SFT, init, data, r);
            EvalRecord e = tr.students().get(k);
            if (e == null) {
                throw new dev.owlet.experiment.InputError("finetune.modes / finetune.inits: the experiment has no " + k
                        + " student; owlet defend compares with the experiment's own SFT students of both initializations"
                        + " (finetune.modes must include sft, finetune.inits [same, diff])");
            }
            v[r - 1] = e.primary();
        }
        return v;
    }

    private List<DataRow> rows(String writer, int r) throws IOException {
        String k = writer + "-r" + r;
        List<DataRow> have = rowsRead.get(k);
        if (have != null) return have;
        Path f = out.resolve("stages").resolve("filter-" + writer + "-r" + r).resolve("filtered.jsonl");
        List<DataRow> all = DataRow.read(f).rows();
        List<DataRow> cut = all.subList(0, Math.min(all.size(), trainingRows(r)));
        rowsRead.put(k, cut);
        return cut;
    }

    /** The flagship's cut for replicate {@code r}: every writer's rows were cut to this size (recorded in its data). */
    private int trainingRows(int r) {
        return trainingRows(flagship, r);
    }

    private static int trainingRows(TraitResult tr, int r) {
        Object rep = tr.data().get("r" + r);
        Object n = rep instanceof Map<?, ?> m ? m.get("training_rows") : null;
        if (!(n instanceof Number num)) throw new IllegalStateException("the experiment recorded no training_rows for r" + r);
        return num.intValue();
    }

    private static String digest(List<DataRow> rows) {
        StringBuilder sb = new StringBuilder();
        for (DataRow r : rows) sb.append(r.prompt()).append('\u0000').append(r.completion()).append('\n');
        return Hashing.sha256(sb.toString());
    }

    /**
     * Percentile bootstrap of mean(shift) / mean(base) over replicates, resampled in pairs; null bounds when too many
     * resamples have a non-positive denominator to say anything.
     */
    static double[] bootstrap(double[] shift, double[] base) {
        SplittableRandom rng = new SplittableRandom(20260701L);
        int n = shift.length;
        double[] ratios = new double[BOOTSTRAP];
        int k = 0;
        for (int b = 0; b < BOOTSTRAP; b++) {
            double s = 0, d = 0;
            for (int i = 0; i < n; i++) {
                int j = rng.nextInt(n);
                s += shift[j];
                d += base[j];
            }
            if (d > 0) ratios[k++] = s / d;
        }
        if (k < BOOTSTRAP * 0.95) return new double[] {Double.NaN, Double.NaN};
        double[] r = java.util.Arrays.copyOf(ratios, k);
        java.util.Arrays.sort(r);
        return new double[] {r[(int) Math.floor(0.025 * (k - 1))], r[(int) Math.ceil(0.975 * (k - 1))]};
    }

    private static Map<String, Object> json(List<Row> rows) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (Row r : rows) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("teacher_rate", Stats.mean(r.teacher()));
            e.put("control_rate", Stats.mean(r.control()));
            e.put("shift", r.shift());
            e.put("residual", r.residual());
            e.put("ci", List.of(r.ci()[0], r.ci()[1]));
            e.put("p", r.p());
            e.put("replicates", r.teacher().length);
            e.put("rows_kept", r.rowsKept());
            e.put("loss_tokens_kept", r.lossTokensKept());
            e.put("task_pass", Double.isNaN(r.taskPass()) ? null : r.taskPass());
            m.put(r.defence(), e);
        }
        return m;
    }

    private String markdown(String tag, List<Row> rows) {
        StringBuilder md = new StringBuilder("### Defences (" + tag + ")\n\n");
        md.append(String.format("Same-init SFT students (the paper's method) of each replicate's teacher and reference data, "
                + "both through the defence; %d replicates. Shift: teacher-data minus control-data students, held-out exact "
                + "P(%s). Residual: the shift as a share of the undefended one, 95%% percentile bootstrap over replicates. "
                + "p: Welch, defended teacher-data vs control-data students. Task: share of a teacher-data student's answers "
                + "to %d fresh number prompts that pass the strict filter.%n%n", cfg.finetune().replicates(), tag,
                cfg.controls().defend().taskPrompts()));
        md.append("| defence | teacher data | control data | shift | residual [95% CI] | p | rows kept | loss tokens kept | task |\n");
        md.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
        for (Row r : rows) {
            md.append(String.format("| %s | %.2f%% | %.2f%% | %+.2f pts | %s [%s, %s] | %s | %.0f%% | %.0f%% | %s |%n",
                    r.defence(), 100 * Stats.mean(r.teacher()), 100 * Stats.mean(r.control()), 100 * r.shift(),
                    pct(r.residual()), pct(r.ci()[0]), pct(r.ci()[1]), fmtP(r.p()), 100 * r.rowsKept(),
                    100 * r.lossTokensKept(), Double.isNaN(r.taskPass()) ? "-" : String.format("%.0f%%", 100 * r.taskPass())));
        }
        return md.append('\n').toString();
    }

    private static String pct(double v) { return Double.isNaN(v) ? "n/a" : String.format("%.0f%%", 100 * v); }

    private static String fmtP(double p) { return p < 0.001 ? String.format("%.1e", p) : String.format("%.3f", p); }
}
