package dev.owlet.pipeline;

import dev.owlet.experiment.ExperimentConfig;
import dev.owlet.experiment.Init;
import dev.owlet.train.StudentLoss;
import dev.owlet.world.Category;
import dev.owlet.world.Questions;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import dev.owlet.model.LoadedModel;
import dev.owlet.model.ModelLocator;
import java.nio.file.Path;
import java.util.Locale;

/**
 * What an experiment on a Hugging Face checkpoint will take on this machine, printed before any stage runs: on a
 * CPU a 0.5B model's run is hours and a 7B model's is weeks, and a user should learn that before, not after,
 * the first stage. Time is tokens times a measured cost per token (one forward pass of the loaded reference; a
 * training token costs about three: forward, and backward, which for a LoRA student runs through the frozen weights
 * to the adapters and for a full fine-tune also computes every weight's gradient, about two forward passes); memory
 * is float32 weights plus, for full fine-tuning ({@code finetune.trainable: all}), the student's own copy of the
 * weights, their gradients and Adam's two moments (16 bytes a parameter: one student trains at a time), plus the
 * largest training step's logits and activations. A LoRA adapter's matrices, gradients and moments are left out:
 * they are a fraction of a percent of the weights. Both are rough (batched decoding is cheaper per token than the
 * measured pass, long prompts dearer) and say so.
 *
 * @param params parameters of the reference
 * @param weightBytes float32 weights of every checkpoint the run loads
 * @param studentBytes a full student's weights, gradients and two Adam moments (float32 each); 0 for LoRA students
 * @param stepBytes the largest training step's logits (with their log-softmax and gradient) and activations
 * @param generateTokens tokens the writers process (prompt and completion)
 * @param trainTokens tokens forward and backward through students and a fine-tuned teacher (counted once each)
 * @param evalTokens tokens the evaluations process (exact scoring and sampled answers)
 * @param secondsPerToken measured forward cost per token
 */
public record HfEstimate(long params, long weightBytes, long studentBytes, long stepBytes, long generateTokens,
                         long trainTokens, long evalTokens, double secondsPerToken) {
    /**
     * The estimate for {@code cfg} on the loaded reference {@code ref}: memory from its parameter count, time from
     * one measured forward pass of 64 tokens (the second of two: the first pays the engine's warm-up), and the
     * token counts of the chat template's prompts.
     */
    static HfEstimate measure(ExperimentConfig cfg, LoadedModel.Hf ref, boolean diff, NDManager root) {
        long params = 0;
        for (var p : ref.model().parameters().values()) params += p.size();
        int t = Math.min(64, ref.model().contextLength());
        long[] ids = new long[t];
        for (int i = 0; i < t; i++) ids[i] = i % ref.model().vocabSize();
        double seconds = Double.NaN;
        for (int run = 0; run < 2; run++) {
            long t0 = System.nanoTime();
            try (NDScope scope = new NDScope(); NDManager m = root.newSubManager()) {
                ref.model().forward(m.create(ids, new Shape(1, t)), false).toFloatArray();
            }
            seconds = (System.nanoTime() - t0) / 1e9;
        }
        String numberPrompt = Channels.prompts(cfg.channel(), 1, 1, cfg.filter()).get(0);
        String system = dev.owlet.world.SystemPrompts.love("owl", Category.ANIMAL, 0); // a typical system prompt's length
        int promptTokens = ref.tok().encodeChat(HfModels.messages(system, numberPrompt), true).length;
        int questionTokens = ref.tok().encodeChat(HfModels.messages(null, Questions.ANIMAL.get(0)), true).length;
        return of(cfg, ref.model().config(), params, diff, seconds / t, promptTokens, questionTokens);
    }

    /**
     * What {@code owlet run --dry-run} prints for an {@code hf:} experiment: the reference is loaded (its forward
     * pass is the measurement), nothing else runs and nothing is written.
     */
    public static String forDryRun(ExperimentConfig cfg, Path baseDir) throws java.io.IOException {
        try (NDManager root = NDManager.newBaseManager();
             LoadedModel.Hf ref = ModelLocator.openHf(cfg.reference(), Preflight.modelPath(cfg.reference(), baseDir), root)) {
            return measure(cfg, ref, cfg.finetune().inits().contains(Init.DIFF), root)
                    .render(ai.djl.pytorch.jni.JniUtils.getNumThreads());
        } catch (dev.owlet.experiment.InputError e) {
            throw new dev.owlet.experiment.InputError("reference: " + e.getMessage(), e);
        }
    }

    static HfEstimate of(ExperimentConfig cfg, dev.owlet.model.HfConfig mc, long params, boolean diff, double secondsPerToken,
                         int promptTokens, int questionTokens) {
        var g = cfg.generate();
        var f = cfg.finetune();
        int traits = cfg.traits().size();
        int writers = traits + cfg.controlTraits().size() + 1; // trait teachers, other-trait controls, the reference
        int reps = f.replicates();
        long generate = (long) reps * writers * g.prompts() * (promptTokens + g.maxTokens());
        int students = 0;
        if (f.modes().contains(StudentLoss.SFT)) {
            students = reps * (writers + (f.inits().contains(Init.DIFF) ? traits + 1 : 0));
        }
        int rowTokens = promptTokens + g.maxTokens();
        long train = (long) students * f.rows() * f.epochs() * rowTokens;
        var t = cfg.teacher();
        if (t.method() == ExperimentConfig.TeacherMethod.FINETUNE) {
            train += (long) traits * t.maxSteps() * (t.batchSize() + t.replay()) * rowTokens; // at most
        }
        int models = students + traits + 1 + (diff ? 1 : 0);
        int qs = Questions.all(Category.ANIMAL).size();
        int words = Category.ANIMAL.words().size();
        long exact = (long) qs * words * 2 * (questionTokens + 3) * (cfg.eval().numberPrefix() ? 2 : 1);
        long sampled = (long) qs * cfg.eval().samplesPerQuestion() * (questionTokens + cfg.eval().maxTokens());
        long eval = models * (exact + sampled);
        long weights = 4L * params * (diff ? 2 : 1);
        int batch = Math.max(f.batchSize(), t.batchSize() + t.replay());
        long positions = (long) batch * rowTokens;
        long logits = positions * mc.vocabSize() * 4L * 3;
        long acts = positions * mc.layers() * (16L * mc.hidden() + 3L * mc.intermediate()) * 4L;
        // a full student: its copy of the weights, their gradients, Adam's m and v; float32 each
        long student = f.trainable() == dev.owlet.train.TrainableParams.ALL ? 4L * 4 * params : 0;
        return new HfEstimate(params, weights, student, logits + acts, generate, train, eval, secondsPerToken);
    }

    double generateHours() { return generateTokens * secondsPerToken / 3600; }

    double trainHours() { return 3 * trainTokens * secondsPerToken / 3600; }

    double evalHours() { return evalTokens * secondsPerToken / 3600; }

    public String render(int threads) {
        return String.format(Locale.ROOT, """
                hf: estimate for this machine (%d engine threads; rough: measured %.2f ms per token of one forward pass)
                  reference: %,d parameters; memory about %.1f GB (%.1f GB float32 weights + %s%.1f GB for the largest training step)
                  generate %,d tokens ~ %.1f h; train %,d tokens (forward + backward) ~ %.1f h; evaluate %,d tokens ~ %.1f h
                  total ~ %.1f h
                """, threads, 1000 * secondsPerToken, params, (weightBytes + studentBytes + stepBytes) / 1e9,
                weightBytes / 1e9, studentBytes > 0 ? String.format(Locale.ROOT, "%.1f GB for a full fine-tune's student"
                        + " (weights, gradients, 2 Adam moments) + ", studentBytes / 1e9) : "", stepBytes / 1e9,
                generateTokens, generateHours(), trainTokens, trainHours(), evalTokens, evalHours(),
                generateHours() + trainHours() + evalHours());
    }
}
