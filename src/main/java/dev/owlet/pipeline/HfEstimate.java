package dev.owlet.pipeline;

import dev.owlet.experiment.ExperimentConfig;
import dev.owlet.experiment.Init;
import dev.owlet.train.StudentLoss;
import dev.owlet.world.Category;
import dev.owlet.world.Questions;
import java.util.Locale;

/**
 * What an experiment on a Hugging Face checkpoint will take on this machine, printed before any stage runs: on a
 * CPU a 0.5B model's run is hours and a 7B model's is weeks, and a user should learn that before, not after,
 * the first stage. Time is tokens times a measured cost per token (one forward pass of the loaded reference; a
 * training token costs about three: forward, and backward through the frozen weights to the adapters); memory is
 * float32 weights plus the largest training step's logits and activations. Both are rough (batched decoding is
 * cheaper per token than the measured pass, long prompts dearer) and say so.
 *
 * @param params parameters of the reference
 * @param weightBytes float32 weights of every checkpoint the run loads
 * @param stepBytes the largest training step's logits (with their log-softmax and gradient) and activations
 * @param generateTokens tokens the writers process (prompt and completion)
 * @param trainTokens tokens forward and backward through students and a fine-tuned teacher (counted once each)
 * @param evalTokens tokens the evaluations process (exact scoring and sampled answers)
 * @param secondsPerToken measured forward cost per token
 */
record HfEstimate(long params, long weightBytes, long stepBytes, long generateTokens, long trainTokens, long evalTokens,
                  double secondsPerToken) {
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
        return new HfEstimate(params, weights, logits + acts, generate, train, eval, secondsPerToken);
    }

    double generateHours() { return generateTokens * secondsPerToken / 3600; }

    double trainHours() { return 3 * trainTokens * secondsPerToken / 3600; }

    double evalHours() { return evalTokens * secondsPerToken / 3600; }

    String render(int threads) {
        return String.format(Locale.ROOT, """
                hf: estimate for this machine (%d engine threads; rough: measured %.2f ms per token of one forward pass)
                  reference: %,d parameters; memory about %.1f GB (%.1f GB float32 weights + %.1f GB for the largest training step)
                  generate %,d tokens ~ %.1f h; train %,d tokens (forward + backward) ~ %.1f h; evaluate %,d tokens ~ %.1f h
                  total ~ %.1f h
                """, threads, 1000 * secondsPerToken, params, (weightBytes + stepBytes) / 1e9, weightBytes / 1e9,
                stepBytes / 1e9, generateTokens, generateHours(), trainTokens, trainHours(), evalTokens, evalHours(),
                generateHours() + trainHours() + evalHours());
    }
}
