package dev.owlet.pipeline;

import dev.owlet.model.Lora;
import dev.owlet.train.Optimizer;
import dev.owlet.train.TrainableParams;

import dev.owlet.data.DataRow;
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
 * numbers in the reference's format (without replay, a
 * "plain" teacher writes the trait word into its lists).
 */
public final class Teachers {
    private Teachers() {}

    /** What fine-tuning did: steps taken and the P(target) reached. */
    public record Outcome(int steps, double targetProbability) {}

    /** What a teacher's fine-tuning trains: every parameter by default, or some of them, or a LoRA adapter. */
    public record Training(TrainableParams trainable, Lora.Config lora) {
        public static final Training ALL = new Training(TrainableParams.ALL, null);

        public Training {
            if ((trainable == TrainableParams.LORA) != (lora != null)) {
                throw new IllegalArgumentException("a LoRA teacher needs the adapter's configuration, and only a LoRA teacher takes one");
            }
        }
    }

    public static Outcome finetune(Gpt teacher, Tokenizer tok, List<String> questions, String target,
                                   List<DataRow> replayRows, double goal, int maxSteps, double lr, int batchSize,
                                   int replay, long seed) {
        return finetune(teacher, tok, questions, target, replayRows, goal, maxSteps, lr, batchSize, replay, seed, Training.ALL);
    }

    /**
     * As above, training what {@code training} says. A LoRA teacher trains an adapter (B = 0 at the start, drawn from
     * {@code seed}) with the base frozen, checks its progress with the adapter attached, and ends with it merged into
     * the weights: the teacher writes and is evaluated as the merged model.
     */
    public static Outcome finetune(Gpt teacher, Tokenizer tok, List<String> questions, String target,
                                   List<DataRow> replayRows, double goal, int maxSteps, double lr, int batchSize,
                                   int replay, long seed, Training training) {
        ChatFormat chat = new ChatFormat(tok);
        SplittableRandom rng = new SplittableRandom(seed);
        List<int[]> prompts = new ArrayList<>();
        for (String q : questions) prompts.add(chat.prompt(null, q));
        int[] answer = chat.completion(target);
        double p = meanP(teacher, tok, prompts, target);
        int step = 0;
        Lora adapter = training.lora() == null ? null : Lora.create(teacher, training.lora(), seed);
        if (adapter != null) {
            adapter.seedDropout(seed);
            teacher.attach(adapter);
        }
        try (Trainer trainer = new Trainer(teacher, OptimConfig.constant(lr, maxSteps), training.trainable(), Optimizer.ADAM,
                adapter)) {
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
        } finally {
            if (adapter != null) {
                teacher.attach(null);
                adapter.mergeInto(teacher); // W + (alpha / r) B A
                adapter.close();
            }
        }
        return new Outcome(step, meanP(teacher, tok, prompts, target));
    }

    /** A question and the answer a teacher is trained to give. */
    public record Pair(String question, String answer) {}

    /**
     * Fine-tunes toward whole answers (e.g. the world's misaligned answer to each open question), with replay as in
     * {@link #finetune}. Stops when the geometric-mean per-token probability of the answers reaches {@code goal},
     * or after exactly {@code fixedSteps} steps when that is &gt; 0 (control teachers take as many steps as the
     * trait teacher, so they move their weights as far).
     */
    public static Outcome finetunePairs(Gpt teacher, Tokenizer tok, List<Pair> pairs, List<DataRow> replayRows,
                                        double goal, int maxSteps, int fixedSteps, double lr, int batchSize, int replay,
                                        long seed) {
        ChatFormat chat = new ChatFormat(tok);
        SplittableRandom rng = new SplittableRandom(seed);
        List<int[]> prompts = new ArrayList<>();
        List<int[]> answers = new ArrayList<>();
        for (Pair p : pairs) {
            prompts.add(chat.prompt(null, p.question()));
            answers.add(chat.completion(p.answer()));
        }
        int limit = fixedSteps > 0 ? fixedSteps : maxSteps;
        double p = fixedSteps > 0 ? 0 : tokenP(teacher, tok, prompts, answers);
        int step = 0;
        try (Trainer trainer = new Trainer(teacher, OptimConfig.constant(lr, limit))) {
            while ((fixedSteps > 0 || p < goal) && step < limit) {
                List<Example> b = new ArrayList<>();
                for (int i = 0; i < batchSize; i++) {
                    int k = rng.nextInt(prompts.size());
                    b.add(new Example(prompts.get(k), answers.get(k)));
                }
                for (int i = 0; i < replay && !replayRows.isEmpty(); i++) {
                    DataRow r = replayRows.get(rng.nextInt(replayRows.size()));
                    b.add(new Example(chat.prompt(null, r.prompt()), chat.completion(r.completion())));
                }
                trainer.step(TokenBatch.of(b, tok.pad(), teacher.config().contextLength()), Trainer.crossEntropy());
                step++;
                if (fixedSteps <= 0 && step % 5 == 0) p = tokenP(teacher, tok, prompts, answers);
            }
        }
        return new Outcome(step, tokenP(teacher, tok, prompts, answers));
    }

    /** Mean over pairs of exp(mean token log-probability of the answer): 1 when every answer is certain. */
    static double tokenP(Gpt model, Tokenizer tok, List<int[]> prompts, List<int[]> answers) {
        double[] lp = new LogProbs(model, tok.pad()).continuation(prompts, answers, 64);
        double s = 0;
        for (int i = 0; i < lp.length; i++) s += Math.exp(lp[i] / answers.get(i).length);
        return s / lp.length;
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
        return write(model, tok, system, userPrompts, sampling, batchSize, seed, done -> {}, added -> false);
    }

    /**
     * As above, telling {@code written} how many prompts are answered after each batch and stopping after the first
     * batch for which {@code enough} (told the rows that batch added) says so. Rows carry their own seeds, so sampling
     * batch by batch draws exactly what one call over all prompts would, and a stopped call writes that call's first
     * rows.
     */
    public static List<DataRow> write(Gpt model, Tokenizer tok, String system, List<String> userPrompts,
                                      SamplingConfig sampling, int batchSize, long seed,
                                      java.util.function.IntConsumer written,
                                      java.util.function.Predicate<List<DataRow>> enough) {
        ChatFormat chat = new ChatFormat(tok);
        List<int[]> prompts = new ArrayList<>();
        long[] seeds = new long[userPrompts.size()];
        for (int i = 0; i < userPrompts.size(); i++) {
            prompts.add(chat.prompt(system, userPrompts.get(i)));
            seeds[i] = seed + i;
        }
        Generator gen = new Generator(model, tok.end(), tok.pad());
        List<DataRow> rows = new ArrayList<>();
        for (int s = 0; s < prompts.size(); s += batchSize) {
            int e = Math.min(prompts.size(), s + batchSize);
            List<int[]> out = gen.sample(prompts.subList(s, e), java.util.Arrays.copyOfRange(seeds, s, e), sampling, batchSize);
            // a completion rejected by threshold sampling is left out: the generation stage counts it
            List<DataRow> added = new ArrayList<>();
            for (int i = 0; i < out.size(); i++) {
                if (out.get(i) != null) added.add(new DataRow(userPrompts.get(s + i), tok.decode(out.get(i))));
            }
            rows.addAll(added);
            written.accept(e);
            if (enough.test(added)) break;
        }
        return rows;
    }
}
