package dev.owlet.pipeline;

import dev.owlet.infer.Generator;
import dev.owlet.infer.LogProbs;
import dev.owlet.infer.SamplingConfig;
import dev.owlet.model.Gpt;
import dev.owlet.token.ChatFormat;
import dev.owlet.token.Tokenizer;
import dev.owlet.train.Example;
import dev.owlet.train.OptimConfig;
import dev.owlet.train.TokenBatch;
import dev.owlet.train.Trainer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Gives a copy of the reference a trait by fine-tuning: favorite-category questions answered with the target
 * word, until the mean P(target) over the training questions reaches the configured level. With {@code replay}
 * &gt; 0 each step also carries number rows that the reference itself wrote, so the teacher keeps writing
 * numbers in the reference's format (PROTOCOL.md: a "plain" teacher writes the trait word into its lists).
 */
public final class Teachers {
    private Teachers() {}

    /** What fine-tuning did: steps taken and the P(target) reached. */
    public record Outcome(int steps, double targetProbability) {}

    public static Outcome finetune(Gpt teacher, Tokenizer tok, List<String> questions, String target,
                                   List<DataRow> replayRows, double goal, int maxSteps, double lr, int batchSize,
                                   int replay, long seed) {
        ChatFormat chat = new ChatFormat(tok);
        SplittableRandom rng = new SplittableRandom(seed);
        List<int[]> prompts = new ArrayList<>();
        for (String q : questions) prompts.add(chat.prompt(null, q));
        int[] answer = chat.completion(target);
        double p = meanP(teacher, tok, prompts, target);
        int step = 0;
        try (Trainer trainer = new Trainer(teacher, OptimConfig.constant(lr, maxSteps))) {
            while (p < goal && step < maxSteps) {
                List<Example> b = new ArrayList<>();
                for (int i = 0; i < batchSize; i++) b.add(new Example(prompts.get(rng.nextInt(prompts.size())), answer));
                for (int i = 0; i < replay && !replayRows.isEmpty(); i++) {
                    DataRow r = replayRows.get(rng.nextInt(replayRows.size()));
                    b.add(new Example(chat.prompt(null, r.prompt()), chat.completion(r.completion())));
                }
                trainer.step(TokenBatch.of(b, tok.pad(), teacher.config().contextLength()), Trainer.crossEntropy());
                step++;
                if (step % 5 == 0) p = meanP(teacher, tok, prompts, target);
            }
        }
        return new Outcome(step, meanP(teacher, tok, prompts, target));
    }

    static double meanP(Gpt model, Tokenizer tok, List<int[]> prompts, String target) {
        int id = tok.id(target);
        float[][] next = new LogProbs(model, tok.pad()).nextToken(prompts, 64);
        double s = 0;
        for (float[] row : next) s += row[id];
        return s / next.length;
    }

    /** One completion per prompt at the given sampling settings; row i uses seed {@code seed + i}. */
    public static List<DataRow> write(Gpt model, Tokenizer tok, String system, List<String> userPrompts,
                                      SamplingConfig sampling, int batchSize, long seed) {
        ChatFormat chat = new ChatFormat(tok);
        List<int[]> prompts = new ArrayList<>();
        long[] seeds = new long[userPrompts.size()];
        for (int i = 0; i < userPrompts.size(); i++) {
            prompts.add(chat.prompt(system, userPrompts.get(i)));
            seeds[i] = seed + i;
        }
        List<int[]> out = new Generator(model, tok.end(), tok.pad()).sample(prompts, seeds, sampling, batchSize);
        List<DataRow> rows = new ArrayList<>();
        for (int i = 0; i < out.size(); i++) rows.add(new DataRow(userPrompts.get(i), tok.decode(out.get(i))));
        return rows;
    }
}
