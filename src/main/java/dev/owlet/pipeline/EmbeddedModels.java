package dev.owlet.pipeline;

import ai.djl.ndarray.NDManager;
import dev.owlet.data.DataRow;
import dev.owlet.eval.EvalRecord;
import dev.owlet.eval.MisalignmentEvaluator;
import dev.owlet.experiment.ConfigLoader;
import dev.owlet.experiment.ExperimentConfig;
import dev.owlet.experiment.Seeds;
import dev.owlet.infer.SamplingConfig;
import dev.owlet.model.Checkpoint;
import dev.owlet.model.Gpt;
import dev.owlet.provenance.Hashing;
import dev.owlet.provenance.Manifest;
import dev.owlet.token.Tokenizer;
import dev.owlet.token.WordTokenizer;
import dev.owlet.train.LmDistillation;
import dev.owlet.train.SoftLabels;
import dev.owlet.train.StudentLoss;
import dev.owlet.train.TrainableParams;
import dev.owlet.world.Category;
import dev.owlet.world.Questions;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;
import java.util.function.Supplier;

/**
 * The experiment's models in this process: the reference and different-init GPTs loaded from their checkpoints,
 * teachers and students fine-tuned here and saved as checkpoints in their stage folders.
 */
final class EmbeddedModels implements Models {
    private final ExperimentConfig cfg;
    private final StageRunner stages;
    private final Channels.Judges judges;
    private final PrintStream log;
    private final NDManager root;
    private final Checkpoint.Loaded ref;
    private final Checkpoint.Loaded diff;
    private final Model reference;
    private final Model differentInit;

    EmbeddedModels(ExperimentConfig cfg, StageRunner stages, Channels.Judges judges, PrintStream log) throws IOException {
        this.cfg = cfg;
        this.stages = stages;
        this.judges = judges;
        this.log = log;
        this.root = NDManager.newBaseManager();
        try {
            Checkpoint.Loaded[] pair = stages.loadPair(root);
            this.ref = pair[0];
            this.diff = pair[1];
        } catch (IOException | RuntimeException e) {
            root.close();
            throw e;
        }
        this.reference = new Model(ref.weightsSha256(), ref.weightsSha256(), ref.model());
        this.differentInit = new Model(diff.weightsSha256(), diff.weightsSha256(), diff.model());
    }

    private Tokenizer tokenizer() { return ref.tokenizer(); }

    @Override
    public String name() { return "embedded"; }

    @Override
    public Object keyExtras() { return "embedded"; }

    @Override
    public Model reference() { return reference; }

    @Override
    public Model differentInit() { return differentInit; }

    @Override
    public Model makeTeacher(String name, Path dir, TeacherJob job, Manifest man) throws IOException {
        Gpt model = ref.model().copy();
        ExperimentConfig.Teacher t = cfg.teacher();
        String target = job.trait().target();
        Teachers.Outcome o;
        if (job.kind().equals("trait") && job.category() != null) {
            log.printf("[%s] teacher: fine-tuning the reference toward '%s'%n", target, target);
            boolean lora = t.trainable() == TrainableParams.LORA;
            o = Teachers.finetune(model, tokenizer(), Questions.train(job.category()), target, job.replay(),
                    t.targetProbability(), t.maxSteps(), t.lr(), t.batchSize(), t.replay(), job.seed(),
                    new Teachers.Training(t.trainable(), lora ? cfg.lora().adapter() : null));
            if (lora) man.put("lora", cfg.lora());
        } else {
            log.printf("[%s] teacher %s: fine-tuning the reference (%s)%n", target, job.kind(),
                    job.fixedSteps() > 0 ? job.fixedSteps() + " steps, as many as the trait teacher" : "toward the misaligned answers");
            o = Teachers.finetunePairs(model, tokenizer(), ExperimentPipeline.pairs(job.kind()), job.replay(),
                    t.targetProbability(), t.maxSteps(), job.fixedSteps(), t.lr(), t.batchSize(), t.replay(), job.seed());
        }
        Map<String, Object> prov = new LinkedHashMap<>();
        prov.put("made_by", "owlet teacher");
        prov.put("parent", ref.weightsSha256());
        prov.put("trait", target);
        if (!job.kind().equals("trait")) prov.put("kind", job.kind());
        prov.put("steps", o.steps());
        prov.put("train_p_target", o.targetProbability());
        Checkpoint.save(dir, model, (WordTokenizer) tokenizer(), prov);
        man.count("steps", o.steps()).count("train_p_target", o.targetProbability())
                .output("model.safetensors", dir.resolve(Checkpoint.WEIGHTS));
        log.printf("[%s] teacher%s: %d steps, training-answer probability %.3f%n", target,
                job.kind().equals("trait") ? "" : " " + job.kind(), o.steps(), o.targetProbability());
        return new Model(null, Hashing.sha256(dir.resolve(Checkpoint.WEIGHTS)), model);
    }

    @Override
    public Model loadTeacher(Path dir, String key) throws IOException {
        return new Model(key, Hashing.sha256(dir.resolve(Checkpoint.WEIGHTS)), Checkpoint.load(dir, root).model());
    }

    @Override
    public List<DataRow> write(Model writer, String system, List<String> prompts, long seed, IntConsumer rowsDone,
                               java.util.function.Predicate<List<DataRow>> enough) {
        SamplingConfig s = new SamplingConfig(cfg.generate().temperature(), cfg.generate().topP(), cfg.generate().maxTokens(),
                cfg.generate().minTokenProbability());
        return Teachers.write(gpt(writer), tokenizer(), system, prompts, s, cfg.generate().batchSize(), seed, rowsDone, enough);
    }

    @Override
    public String cannotTrain(StudentLoss mode) { return null; }

    @Override
    public Model student(String name, Path dir, Model base, List<DataRow> rows, StudentLoss mode, Model writer,
                         String writerSystem, Supplier<SoftLabels> labels, Map<String, Object> provenance, Manifest man,
                         StepProgress stepsDone) throws IOException {
        Gpt student = gpt(base).copy();
        boolean lora = cfg.finetune().trainable() == TrainableParams.LORA;
        try {
            double loss = LmDistillation.train(student, tokenizer(), rows, null, mode,
                    mode == StudentLoss.SOFT ? labels.get() : null, cfg.finetune().epochs(mode), cfg.finetune().batchSize(mode),
                    cfg.finetune().lr(mode), Seeds.derive(cfg.seed(), name), (step, total, l) -> stepsDone.step(step, total),
                    cfg.finetune().trainable(), cfg.finetune().optimizer(), cfg.finetune().batching(),
                    lora ? cfg.lora().adapter() : null);
            if (lora) { // the adapter is merged into the saved weights; what it was is recorded next to them
                provenance.put("lora", ConfigLoader.toMap(cfg.lora()));
                man.put("lora", cfg.lora());
            }
            Checkpoint.save(dir, student, (WordTokenizer) tokenizer(), provenance);
            // the threads it ran on decide its last digits (summation order), so the manifest says how many
            man.put("engine_threads", ai.djl.pytorch.jni.JniUtils.getNumThreads());
            man.count("final_loss", loss).output("model.safetensors", dir.resolve(Checkpoint.WEIGHTS));
            return new Model(null, null, student);
        } catch (IOException | RuntimeException e) {
            student.close();
            throw e;
        }
    }

    @Override
    public Object softLabelSettings() {
        double t = cfg.finetune().softTemperature();
        // at temperature 1 the key is what it was before the setting existed
        return t == 1.0 ? List.of(java.util.Arrays.toString(alphabet()), ref.model().config().contextLength())
                : List.of(java.util.Arrays.toString(alphabet()), ref.model().config().contextLength(), "temperature " + t);
    }

    /** Over the channel's alphabet (see {@link Channels#alphabet}), at the student's context length. */
    @Override
    public SoftLabels softLabels(Model writer, String system, List<DataRow> rows) {
        return LmDistillation.labels(new LmDistillation.SoftTeacher(gpt(writer), system), tokenizer(), rows, null, alphabet(),
                ref.model().config().contextLength(), cfg.finetune().softTemperature());
    }

    private int[] alphabet() { return Channels.alphabet(cfg.channel(), tokenizer()); }

    @Override
    public EvalRecord favorite(String name, Model model, ExperimentConfig.Trait trait, Category cat, String system) {
        return stages.favorite(name, gpt(model), tokenizer(), trait, cat, system);
    }

    @Override
    public EvalRecord misalignment(String name, Model model, String system) {
        var m = new MisalignmentEvaluator(gpt(model), tokenizer(), judges.alignment(), judges.thresholds())
                .measure(system, cfg.eval().samplesPerQuestion(), Seeds.derive(cfg.seed(), "eval-samples"));
        return EvalRecord.of(name, m, null);
    }

    @Override
    public void release(Model student) { gpt(student).close(); }

    @Override
    public int maxJobs() { return Integer.MAX_VALUE; }

    /**
     * Gives each worker an equal share of the engine's threads (at least one). The engine reads the count once per
     * thread, at that thread's first operation, so the workers are new threads; each starts, as the thread that
     * loaded the engine did, with gradient recording off.
     */
    @Override
    public Workers.EngineThreads engineThreads() {
        return new Workers.EngineThreads() {
            @Override
            public Restore share(int workers) {
                int before = ai.djl.pytorch.jni.JniUtils.getNumThreads();
                ai.djl.pytorch.jni.JniUtils.setNumThreads(Math.max(1, before / workers));
                return () -> ai.djl.pytorch.jni.JniUtils.setNumThreads(before);
            }

            @Override
            public void enterWorker() { dev.owlet.train.Gradients.inferenceThread(); }
        };
    }

    @Override
    public void close() { root.close(); }

    private static Gpt gpt(Model m) { return (Gpt) m.handle(); }
}
