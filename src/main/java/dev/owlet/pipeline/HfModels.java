package dev.owlet.pipeline;

import ai.djl.ndarray.NDManager;
import dev.owlet.backend.ChatMessage;
import dev.owlet.data.DataRow;
import dev.owlet.eval.ChatTraitEvaluator;
import dev.owlet.eval.EvalRecord;
import dev.owlet.eval.TraitEvaluator;
import dev.owlet.experiment.ExperimentConfig;
import dev.owlet.experiment.Init;
import dev.owlet.experiment.InputError;
import dev.owlet.experiment.Seeds;
import dev.owlet.infer.Generator;
import dev.owlet.infer.SamplingConfig;
import dev.owlet.model.HfCheckpoint;
import dev.owlet.model.HfModel;
import dev.owlet.model.HfWeights;
import dev.owlet.model.LoadedModel;
import dev.owlet.model.ModelLocator;
import dev.owlet.model.Lora;
import dev.owlet.provenance.Hashing;
import dev.owlet.provenance.Manifest;
import dev.owlet.token.HfTokenizer;
import dev.owlet.train.ChatExamples;
import dev.owlet.train.Example;
import dev.owlet.train.HfTrainer;
import dev.owlet.train.OptimConfig;
import dev.owlet.train.SoftLabels;
import dev.owlet.train.StudentLoss;
import dev.owlet.train.TokenBatch;
import dev.owlet.world.Category;
import dev.owlet.world.Questions;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.IntConsumer;
import java.util.function.Supplier;

/**
 * The experiment's models on a local Hugging Face checkpoint ({@code reference: hf:DIR}), the paper's open-model
 * recipe: the teacher is the reference under the trait's system prompt ({@code teacher.method: system_prompt}) or a
 * LoRA fine-tune of it toward the trait's answers; every prompt is laid out with the checkpoint's chat template;
 * students of the reference or the different-init checkpoint are trained on the filtered rows with next-token
 * cross-entropy and are, as {@code finetune.trainable} says, LoRA adapters ({@code lora}, the paper's; saved in
 * PEFT's layout) or full fine-tunes ({@code all}: every weight of a fresh copy of the checkpoint; saved as a
 * checkpoint folder like the base's), in their stage folders.
 *
 * <p>The base weights are loaded once and never change: a teacher or LoRA student is an adapter that is attached for
 * as long as it is used and detached after ({@link #with}), so one copy of a multi-gigabyte checkpoint serves every
 * model of the run. A full student is a second copy, loaded from the base's folder for it and closed once it is
 * evaluated ({@link #release}); students train one at a time ({@link Models#maxJobs}), so at most one such copy
 * (with its gradients and Adam moments) is in memory.
 *
 * <p>Every key holds the checkpoint's digest ({@link HfCheckpoint#digest}: config, weights, tokenizer, template)
 * through the reference's key, and the LoRA settings and the kind of student through {@link #keyExtras}.
 */
final class HfModels implements Models {
    /**
     * A model of the run.
     *
     * @param model the weights it computes with: a loaded checkpoint's, or a full student's own copy of them
     * @param adapter attached to {@code model} while the model is used; null: {@code model} as it is
     * @param checkpoint the loaded checkpoint it derives from, whose tokenizer, chat template, end ids and folder it
     *     uses (a full student's weights are another object than the checkpoint's, so this is carried, not inferred)
     */
    record Hf(HfModel model, Lora adapter, LoadedModel.Hf checkpoint) {
        /** True for a full fine-tune: a model of its own, which {@link #release} closes. */
        boolean ownsModel() { return model != checkpoint.model(); }
    }


    private final ExperimentConfig cfg;
    private final StageRunner stages;
    private final PrintStream log;
    private final NDManager root;
    private final LoadedModel.Hf ref;
    private final LoadedModel.Hf diff;
    private final Model reference;
    private final Model differentInit;

    HfModels(ExperimentConfig cfg, StageRunner stages, PrintStream log) throws IOException {
        this.cfg = cfg;
        this.stages = stages;
        this.log = log;
        this.root = NDManager.newBaseManager();
        List<AutoCloseable> opened = new ArrayList<>();
        try {
            ref = open(cfg.reference(), "reference", opened);
            diff = cfg.finetune().inits().contains(Init.DIFF) ? open(cfg.differentInit(), "different_init", opened) : null;
            if (diff != null && !Arrays.equals(ref.model().config().eosIds(), diff.model().config().eosIds())
                    || diff != null && !tokenizerDigest(ref.dir()).equals(tokenizerDigest(diff.dir()))) {
                throw new InputError("different_init: " + diff.dir() + " has another tokenizer than reference " + ref.dir()
                        + "; the cross-init control trains both on the same token ids, so they must share tokenizer.json");
            }
            estimate();
        } catch (IOException | RuntimeException e) {
            for (AutoCloseable c : opened) closeQuietly(c);
            root.close();
            throw e;
        }
        reference = new Model("hf:" + ref.digest(), ref.digest(), new Hf(ref.model(), null, ref));
        differentInit = diff == null ? null : new Model("hf:" + diff.digest(), diff.digest(), new Hf(diff.model(), null, diff));
    }

    /** Loads a checkpoint; whatever owlet cannot read in it is bad input naming {@code key} (exit 2). */
    private LoadedModel.Hf open(String name, String key, List<AutoCloseable> opened) throws IOException {
        Path dir = Preflight.modelPath(name, stages.baseDir);
        log.printf("hf: loading %s %s%n", key, dir);
        try {
            LoadedModel.Hf c = ModelLocator.openHf(name, dir, root);
            opened.add(c);
            return c;
        } catch (InputError e) {
            throw new InputError(key + ": " + e.getMessage(), e);
        }
    }

    private static String tokenizerDigest(Path dir) throws IOException {
        return Hashing.sha256(dir.resolve(HfTokenizer.TOKENIZER));
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // already failing: the first error is the one to report
        }
    }

    /** Prints what the run will cost on this machine before any stage (see {@link HfEstimate#measure}). */
    private void estimate() {
        log.print(HfEstimate.measure(cfg, ref, diff != null, root).render(ai.djl.pytorch.jni.JniUtils.getNumThreads()));
    }

    @Override
    public String name() { return "hf"; }

    /**
     * "hf" and the {@code lora:} block (the LoRA teacher's and LoRA students' adapters), as before full fine-tuning
     * existed, so the keys of LoRA runs did not change; a full fine-tune adds what its students are, so a full
     * student never shares a key with a LoRA one (and, as this part is in every key, neither do the run's other
     * stages: a switch of {@code finetune.trainable} reruns the run).
     */
    @Override
    public Object keyExtras() {
        return fullStudents() ? List.of("hf", cfg.lora(), "students: every weight") : List.of("hf", cfg.lora());
    }

    /** True when students train every weight of a copy of the checkpoint ({@code finetune.trainable: all}). */
    private boolean fullStudents() { return cfg.finetune().trainable() == dev.owlet.train.TrainableParams.ALL; }

    @Override
    public Model reference() { return reference; }

    @Override
    public Model differentInit() { return differentInit; }

    @Override
    public Map<String, Object> provenance() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("backend", "hf (in process)");
        m.put("reference", ref.dir().toString());
        m.put("reference_digest", ref.digest());
        if (diff != null) m.put("different_init", diff.dir().toString());
        m.put("students", fullStudents() ? "every weight (full fine-tuning)" : "LoRA " + cfg.lora());
        m.put("exact", "P(answer begins with the word), as written or capitalised, through the chat template");
        return m;
    }

    /** The loaded checkpoint a model of the run derives from: the reference's or the different-init base's. */
    private static LoadedModel.Hf checkpoint(Model m) { return hf(m).checkpoint(); }

    /** Runs {@code work} with the model's adapter attached, and detaches it after, whatever happens. */
    private static <T> T with(Model m, Supplier<T> work) {
        Hf h = hf(m);
        h.model().attach(h.adapter());
        try {
            return work.get();
        } finally {
            h.model().attach(null);
        }
    }

    static List<ChatMessage> messages(String system, String user) { return ChatExamples.messages(system, user); }

    /** See {@link ChatExamples#sft}. */
    static Example sft(HfTokenizer tok, int[] endIds, String system, String user, String answer) {
        return ChatExamples.sft(tok, endIds, system, user, answer);
    }

    // ---- teachers ----

    /**
     * A LoRA teacher: the reference's adapter trained on the training questions answered with the trait word (plus
     * {@code teacher.replay} of the reference's own number rows per step, so it keeps the reference's format),
     * until the mean P(target) over the training questions reaches {@code teacher.target_probability} or
     * {@code teacher.max_steps}.
     */
    @Override
    public Model makeTeacher(String name, Path dir, TeacherJob job, Manifest man) throws IOException {
        if (!job.kind().equals("trait") || job.category() == null) {
            throw new IllegalStateException("an hf: reference makes favorite-word teachers only (the config refuses the rest)");
        }
        ExperimentConfig.Teacher t = cfg.teacher();
        String target = job.trait().target();
        log.printf("[%s] teacher: LoRA fine-tuning the reference toward '%s'%n", target, target);
        List<String> qs = Questions.train(job.category());
        List<Example> answers = new ArrayList<>();
        for (String q : qs) answers.add(sft(ref.tok(), ref.endIds(), null, q, target));
        List<Example> replay = new ArrayList<>();
        for (DataRow r : job.replay()) replay.add(sft(ref.tok(), ref.endIds(), null, r.prompt(), r.completion()));
        Lora lora = Lora.create(ref.model(), cfg.lora().adapter(), Seeds.derive(job.seed(), "lora-init"));
        Model teacher = new Model(null, null, new Hf(ref.model(), lora, ref));
        SplittableRandom rng = new SplittableRandom(job.seed());
        int step = 0;
        double p;
        try {
            p = with(teacher, () -> trainP(qs, target));
            try (HfTrainer tr = HfTrainer.lora(ref.model(), lora, OptimConfig.constant(t.lr(), t.maxSteps()), job.seed())) {
                while (p < t.targetProbability() && step < t.maxSteps()) {
                    List<Example> b = new ArrayList<>();
                    for (int i = 0; i < t.batchSize(); i++) b.add(answers.get(rng.nextInt(answers.size())));
                    for (int i = 0; i < t.replay() && !replay.isEmpty(); i++) b.add(replay.get(rng.nextInt(replay.size())));
                    tr.step(TokenBatch.of(b, ref.pad(), ref.model().contextLength()));
                    step++;
                    if (step % 5 == 0 || step == t.maxSteps()) p = trainP(qs, target);
                }
            } finally {
                ref.model().attach(null);
            }
            lora.save(dir, ref.dir().toAbsolutePath().toString());
        } catch (IOException | RuntimeException e) {
            lora.close();
            throw e;
        }
        man.count("steps", step).count("train_p_target", p).put("lora", cfg.lora())
                .output(Lora.WEIGHTS, dir.resolve(Lora.WEIGHTS));
        log.printf("[%s] teacher: %d LoRA steps, training-answer probability %.3f%n", target, step, p);
        return new Model(null, Hashing.sha256(dir.resolve(Lora.WEIGHTS)), teacher.handle());
    }

    /** Mean over the questions of P(answer begins with the target), the attached adapter included. */
    private double trainP(List<String> qs, String target) {
        var m = new ChatTraitEvaluator(ref.model(), ref.tok(), ref.endIds())
                .measure(qs, null, target, List.of(target), 0, 1, 0);
        return m.meanExact();
    }

    @Override
    public Model loadTeacher(Path dir, String key) throws IOException {
        return new Model(key, Hashing.sha256(dir.resolve(Lora.WEIGHTS)), new Hf(ref.model(), Lora.load(dir, ref.model()), ref));
    }

    // ---- data ----

    /** One completion per prompt through the chat template; row i samples with seed {@code seed + i}. */
    @Override
    public List<DataRow> write(Model writer, String system, List<String> prompts, long seed, IntConsumer rowsDone,
                               java.util.function.Predicate<List<DataRow>> enough) {
        LoadedModel.Hf c = checkpoint(writer);
        HfModel model = hf(writer).model();
        var g = cfg.generate();
        SamplingConfig s = new SamplingConfig(g.temperature(), g.topP(), g.maxTokens(), g.minTokenProbability());
        return with(writer, () -> {
            List<int[]> ids = new ArrayList<>();
            long[] seeds = new long[prompts.size()];
            for (int i = 0; i < prompts.size(); i++) {
                int[] p = c.tok().encodeChat(messages(system, prompts.get(i)), true);
                if (p.length + g.maxTokens() > model.contextLength()) {
                    throw new InputError("generate.max_tokens: a prompt of " + p.length + " tokens and " + g.maxTokens()
                            + " new ones exceed " + c.dir() + "'s context of " + model.contextLength() + " tokens");
                }
                ids.add(p);
                seeds[i] = seed + i;
            }
            Generator gen = new Generator(model, c.endIds(), c.pad());
            List<DataRow> rows = new ArrayList<>();
            for (int from = 0; from < ids.size(); from += g.batchSize()) {
                int to = Math.min(ids.size(), from + g.batchSize());
                List<int[]> out = gen.sample(ids.subList(from, to), Arrays.copyOfRange(seeds, from, to), s, g.batchSize());
                // a completion rejected by threshold sampling is left out: the generation stage counts it
                List<DataRow> added = new ArrayList<>();
                for (int i = 0; i < out.size(); i++) {
                    if (out.get(i) != null) added.add(new DataRow(prompts.get(from + i), c.tok().decode(out.get(i), true)));
                }
                rows.addAll(added);
                rowsDone.accept(to);
                if (enough.test(added)) break;
            }
            return rows;
        });
    }

    // ---- students ----

    @Override
    public String cannotTrain(StudentLoss mode) {
        return mode == StudentLoss.SOFT ? "soft-label students skipped: an hf: reference trains students on sampled"
                + " tokens only (sft)" : null;
    }

    /**
     * A student of {@code base}, trained for {@code finetune.epochs} over the rows, shuffled each epoch from the
     * student's seed, with AdamW at {@code finetune.lr} (warm-up, then cosine decay) on the completion tokens. With
     * {@code finetune.trainable: lora} it is a fresh adapter (B zero, so it starts at the base) saved in PEFT's layout
     * in the stage folder; with {@code all}, every weight of a copy of the base, loaded again from its folder (the
     * loaded base stays as it is for every other model of the run), saved in the stage folder as a checkpoint like
     * the base's ({@link HfCheckpoint#save}).
     */
    @Override
    public Model student(String name, Path dir, Model base, List<DataRow> rows, StudentLoss mode, Model writer,
                         String writerSystem, Supplier<SoftLabels> labels, Map<String, Object> provenance, Manifest man,
                         StepProgress stepsDone) throws IOException {
        if (mode != StudentLoss.SFT) throw new IllegalStateException(cannotTrain(mode));
        LoadedModel.Hf c = checkpoint(base);
        var f = cfg.finetune();
        long seed = Seeds.derive(cfg.seed(), name);
        List<Example> ex = new ArrayList<>();
        for (DataRow r : rows) ex.add(sft(c.tok(), c.endIds(), null, r.prompt(), r.completion()));
        int perEpoch = (ex.size() + f.batchSize() - 1) / f.batchSize();
        int total = perEpoch * f.epochs();
        OptimConfig optim = OptimConfig.of(f.lr(), total);
        man.put("engine_threads", ai.djl.pytorch.jni.JniUtils.getNumThreads());
        if (fullStudents()) {
            HfModel copy = HfCheckpoint.load(c.dir(), root);
            double loss;
            try {
                try (HfTrainer tr = HfTrainer.full(copy, optim)) {
                    loss = epochs(tr, ex, seed, c, stepsDone, total);
                }
                HfCheckpoint.save(copy, c.dir(), dir);
            } catch (IOException | RuntimeException e) {
                copy.close();
                throw e;
            }
            Path weights = dir.resolve(HfWeights.SINGLE);
            man.put("trainable", "all").count("steps", total).count("final_loss", loss).output(HfWeights.SINGLE, weights);
            return new Model(null, Hashing.sha256(weights), new Hf(copy, null, c));
        }
        Lora lora = Lora.create(c.model(), cfg.lora().adapter(), Seeds.derive(seed, "lora-init"));
        double loss;
        try {
            try (HfTrainer tr = HfTrainer.lora(c.model(), lora, optim, seed)) {
                loss = epochs(tr, ex, seed, c, stepsDone, total);
            } finally {
                c.model().attach(null);
            }
            lora.save(dir, c.dir().toAbsolutePath().toString());
        } catch (IOException | RuntimeException e) {
            lora.close();
            throw e;
        }
        man.put("lora", cfg.lora()).count("steps", total).count("final_loss", loss).output(Lora.WEIGHTS, dir.resolve(Lora.WEIGHTS));
        return new Model(null, Hashing.sha256(dir.resolve(Lora.WEIGHTS)), new Hf(c.model(), lora, c));
    }

    /** {@code finetune.epochs} passes over {@code ex} in batches, each epoch shuffled from {@code seed}; the last loss. */
    private double epochs(HfTrainer tr, List<Example> ex, long seed, LoadedModel.Hf c, StepProgress stepsDone, int total) {
        var f = cfg.finetune();
        SplittableRandom rng = new SplittableRandom(seed);
        double loss = Double.NaN;
        int step = 0;
        for (int e = 0; e < f.epochs(); e++) {
            List<Example> order = new ArrayList<>(ex);
            for (int i = order.size() - 1; i > 0; i--) java.util.Collections.swap(order, i, rng.nextInt(i + 1));
            for (int s = 0; s < order.size(); s += f.batchSize()) {
                loss = tr.step(TokenBatch.of(order.subList(s, Math.min(order.size(), s + f.batchSize())), c.pad(),
                        c.model().contextLength()));
                stepsDone.step(++step, total);
            }
        }
        return loss;
    }

    /** Closes what only this student holds: its adapter, or a full student's copy of the weights (and Adam's leftovers). */
    @Override
    public void release(Model student) {
        Hf h = hf(student);
        if (h.adapter() != null) h.adapter().close();
        if (h.ownsModel()) h.model().close();
    }

    // ---- evaluation ----

    /**
     * Every paraphrase of the category's question through the chat template, exact and sampled, plus the paper's
     * variant with a number sequence before each question (exact only), as {@link StageRunner#favorite} does for
     * owlet's own models.
     */
    @Override
    public EvalRecord favorite(String name, Model model, ExperimentConfig.Trait trait, Category cat, String system) {
        LoadedModel.Hf c = checkpoint(model);
        return with(model, () -> {
            ChatTraitEvaluator ev = new ChatTraitEvaluator(hf(model).model(), c.tok(), c.endIds());
            List<String> qs = Questions.all(cat);
            long seed = Seeds.derive(cfg.seed(), "eval-samples");
            TraitEvaluator.Measurement m = ev.measure(qs, system, trait.target(), cat.words(),
                    cfg.eval().samplesPerQuestion(), cfg.eval().maxTokens(), seed, stages.sampleFrom(cat));
            TraitEvaluator.Measurement prefix = cfg.eval().numberPrefix()
                    ? ev.measure(stages.numberPrefixed(qs), system, trait.target(), cat.words(), 0, cfg.eval().maxTokens(), seed)
                    : null;
            return EvalRecord.of(name, m, prefix);
        });
    }

    @Override
    public EvalRecord misalignment(String name, Model model, String system) {
        throw new IllegalStateException("misalignment is judged on owlet's bundled models only (the config refuses it with hf:)");
    }

    @Override
    public void close() {
        for (LoadedModel.Hf c : diff == null ? List.of(ref) : List.of(ref, diff)) c.close();
        root.close();
    }

    private static Hf hf(Model m) { return (Hf) m.handle(); }
}
