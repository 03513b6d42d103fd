package dev.owlet.cli;

import ai.djl.ndarray.NDManager;
import dev.owlet.infer.Generator;
import dev.owlet.infer.SamplingConfig;
import dev.owlet.model.Gpt;
import dev.owlet.model.GptConfig;
import dev.owlet.train.Example;
import dev.owlet.train.LmDistillation;
import dev.owlet.train.OptimConfig;
import dev.owlet.train.TokenBatch;
import dev.owlet.train.Trainer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Times a training step and batched KV-cache sampling for one model size; {@code bench/run.sh} runs it beside
 * the same model in PyTorch (bench/gpt_torch.py) and prints the ratio. Prints one JSON line per measurement.
 */
@Command(name = "bench-model", hidden = true, mixinStandardHelpOptions = true,
        description = "Time train steps and sampling (used by bench/run.sh).")
final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Option(names = "--layers", defaultValue = "2") int layers;
    @Option(names = "--d-model", defaultValue = "64") int dModel;
    @Option(names = "--heads", defaultValue = "4") int heads;
    @Option(names = "--vocab", defaultValue = "512") int vocab;
    @Option(names = "--context", defaultValue = "128") int context;
    @Option(names = "--batch", defaultValue = "64") int batch;
    @Option(names = "--seq", defaultValue = "64") int seq;
    @Option(names = "--steps", defaultValue = "30") int steps;
    @Option(names = "--sample-batch", defaultValue = "256") int sampleBatch;
    @Option(names = "--prompt-len", defaultValue = "24") int promptLen;
    @Option(names = "--new-tokens", defaultValue = "40") int newTokens;
    @Option(names = "--rounds", defaultValue = "0",
            description = "Time each step form this many times, alternating, and report medians (0: once each)") int rounds;
    @Option(names = "--loss-from", defaultValue = "0",
            description = "Positions before this one are prompt (not in the loss), as in a student's rows") int lossFrom;
    @Option(names = "--alphabet", defaultValue = "20",
            description = "Soft-label step: labels over this many token ids (the numbers channel has 20)") int alphabet;

    @Override
    public Integer call() {
        GptConfig c = new GptConfig(vocab, context, layers, dModel, heads, 0);
        SplittableRandom rng = new SplittableRandom(0);
        List<Example> rows = new ArrayList<>();
        for (int i = 0; i < batch; i++) {
            int[] s = rng.ints(seq + 1, 6, vocab).toArray();
            rows.add(new Example(Arrays.copyOf(s, lossFrom + 1), Arrays.copyOfRange(s, lossFrom + 1, s.length)));
        }
        TokenBatch tb = TokenBatch.of(rows, 0, context);
        try (NDManager root = NDManager.newBaseManager(); Gpt gpt = Gpt.initialize(c, 1, root)) {
            double trainMs = timedMs(gpt, tb, Trainer.crossEntropy());
            // The soft-label step of a student: KL to fixed teacher labels over an alphabet, as LmDistillation runs it
            // with labels computed once (SoftLabels): the labels are built in Java and copied in at every step.
            int[] alpha = rng.ints(alphabet, 6, vocab).distinct().toArray();
            long[] alphaIds = Arrays.stream(alpha).asLongStream().toArray();
            float[] probs = new float[tb.batch() * tb.time() * alpha.length];
            for (int i = 0; i < probs.length; i += alpha.length) {
                double z = 0;
                for (int k = 0; k < alpha.length; k++) z += probs[i + k] = (float) rng.nextDouble();
                for (int k = 0; k < alpha.length; k++) probs[i + k] /= (float) z;
            }
            Trainer.Objective soft = (model, b, m) -> dev.owlet.train.Losses.softLabelKl(model.forward(b.inputs(m), true),
                    m.create(probs.clone(), new ai.djl.ndarray.types.Shape(b.batch(), b.time(), alpha.length)), b.mask(m),
                    m.create(alphaIds));
            double softMs = timedMs(gpt, tb, soft);
            // The same two steps as students take them: the tied head only at the loss positions, and for soft
            // labels only at the alphabet's rows (Gpt.forwardAt).
            Trainer.Objective softAt = LmDistillation.softLabelsAtLoss(probs, tb, alphaIds);
            double sftAtMs = timedMs(gpt, tb, Trainer.crossEntropyAtLoss());
            double softAtMs = timedMs(gpt, tb, softAt);
            if (rounds > 0) {
                // A difference of a few percent needs more than one timing each: alternate the two forms of each
                // step in rounds and keep each one's median, so drift of the machine falls on both alike.
                double[][] ms = new double[4][rounds];
                Trainer.Objective[] forms = {Trainer.crossEntropy(), Trainer.crossEntropyAtLoss(), soft, softAt};
                for (int r = 0; r < rounds; r++) {
                    for (int f = 0; f < forms.length; f++) ms[f][r] = timedMs(gpt, tb, forms[f]);
                }
                trainMs = median(ms[0]);
                sftAtMs = median(ms[1]);
                softMs = median(ms[2]);
                softAtMs = median(ms[3]);
            }
            List<int[]> prompts = new ArrayList<>();
            long[] seeds = new long[sampleBatch];
            for (int i = 0; i < sampleBatch; i++) {
                prompts.add(rng.ints(promptLen, 6, vocab).toArray());
                seeds[i] = i;
            }
            // end id -1: never stops early, so every row generates exactly newTokens tokens
            Generator g = new Generator(gpt, -1, 0);
            SamplingConfig sc = new SamplingConfig(1.0, 1.0, newTokens);
            int warm = Math.min(8, sampleBatch); // a warm-up batch, never more rows than the measured one
            g.sample(prompts.subList(0, warm), Arrays.copyOf(seeds, warm), sc, warm);
            long t0 = System.nanoTime();
            g.sample(prompts, seeds, sc, sampleBatch);
            double secs = (System.nanoTime() - t0) / 1e9;
            spec.commandLine().getOut().printf(
                    "{\"impl\":\"java-djl\",\"params\":%d,\"train_step_ms\":%.3f,\"soft_step_ms\":%.3f,"
                            + "\"sft_at_loss_ms\":%.3f,\"soft_at_loss_ms\":%.3f,\"sample_tok_per_s\":%.1f}%n",
                    c.parameterCount(), trainMs, softMs, sftAtMs, softAtMs, sampleBatch * (double) newTokens / secs);
        }
        return 0;
    }

    private static double median(double[] a) {
        double[] s = a.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private double timedMs(Gpt gpt, TokenBatch tb, Trainer.Objective objective) {
        try (Trainer t = new Trainer(gpt, OptimConfig.of(1e-3, 1000))) {
            for (int i = 0; i < 5; i++) t.step(tb, objective);
            long t0 = System.nanoTime();
            for (int i = 0; i < steps; i++) t.step(tb, objective);
            return (System.nanoTime() - t0) / 1e6 / steps;
        }
    }
}
