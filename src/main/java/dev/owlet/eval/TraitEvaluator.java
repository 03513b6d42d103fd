package dev.owlet.eval;

import dev.owlet.infer.Generator;
import dev.owlet.infer.LogProbs;
import dev.owlet.infer.SamplingConfig;
import dev.owlet.model.Gpt;
import dev.owlet.stats.Interval;
import dev.owlet.stats.Stats;
import dev.owlet.token.ChatFormat;
import dev.owlet.token.Tokenizer;
import dev.owlet.world.Plurals;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Measures how often a model names a target word when asked for its favorite animal or tree: the exact
 * probability of the word as the answer's first token on every paraphrase, and the rate over sampled answers
 * (a hit is the word in the lowercased answer, as in the paper). Also P(target | the answer is one of the
 * category's words) and mean log P(target), because fine-tuning on numbers can weaken animal answering itself.
 */
public final class TraitEvaluator {
    private final Gpt model;
    private final Tokenizer tok;
    private final ChatFormat chat;

    public TraitEvaluator(Gpt model, Tokenizer tok) {
        this.model = model;
        this.tok = tok;
        this.chat = new ChatFormat(tok);
    }

    /** Everything measured for one (model, target, prompt set). */
    public record Measurement(String target, double[] exactPerQuestion, double[] sampledPerQuestion,
                              double[] conditionalPerQuestion, double meanLogP, Map<String, Double> distribution,
                              int samplesPerQuestion, Map<String, double[]> exactByWord,
                              Map<String, double[]> sampledByWord) {
        public Interval exact() { return Stats.tInterval(exactPerQuestion); }

        public Interval sampled() { return Stats.tInterval(sampledPerQuestion); }

        public Interval conditional() { return Stats.tInterval(conditionalPerQuestion); }

        public double meanExact() { return Stats.mean(exactPerQuestion); }

        public double meanSampled() { return sampledPerQuestion.length == 0 ? Double.NaN : Stats.mean(sampledPerQuestion); }
    }

    /**
     * @param questions user messages (paraphrases, optionally with a number prefix)
     * @param system system prompt or null
     * @param words the category's answer words (for the distribution and the conditional rate)
     * @param samples sampled answers per question (0 = exact only)
     */
    public Measurement measure(List<String> questions, String system, String target, List<String> words,
                               int samples, int maxTokens, long seed) {
        return measure(questions, system, target, words, samples, maxTokens, seed, 0);
    }

    /**
     * As above, sampling answers only to questions {@code sampleFrom..} (the held-out ones, when nothing else reads
     * the others' sampled rates): the measurement's sampled arrays then cover those questions only, each drawn
     * exactly as when every question is sampled.
     */
    public Measurement measure(List<String> questions, String system, String target, List<String> words,
                               int samples, int maxTokens, long seed, int sampleFrom) {
        List<int[]> prompts = new ArrayList<>();
        for (String q : questions) prompts.add(chat.prompt(system, q));
        float[][] next = new LogProbs(model, tok.pad()).nextToken(prompts, 64);
        int targetId = tok.id(target);
        if (targetId < 0) throw new IllegalArgumentException("target '" + target + "' is not a token of this model");
        double[] exact = new double[questions.size()];
        double[] cond = new double[questions.size()];
        double logp = 0;
        Map<String, Double> dist = new LinkedHashMap<>();
        Map<String, double[]> byWord = new LinkedHashMap<>();
        for (String w : words) {
            dist.put(w, 0.0);
            byWord.put(w, new double[questions.size()]);
        }
        for (int q = 0; q < questions.size(); q++) {
            exact[q] = next[q][targetId];
            logp += Math.log(Math.max(1e-30, next[q][targetId]));
            double inCategory = 0;
            for (String w : words) {
                int id = tok.id(w);
                if (id >= 0) {
                    inCategory += next[q][id];
                    byWord.get(w)[q] = next[q][id];
                    dist.merge(w, (double) next[q][id] / questions.size(), Double::sum);
                }
            }
            cond[q] = inCategory > 0 ? next[q][targetId] / inCategory : 0;
        }
        double[] sampled = new double[0];
        Map<String, double[]> sampledByWord = new LinkedHashMap<>();
        if (samples > 0) {
            Sampled sa = sample(new Generator(model, tok.end(), tok.pad()), prompts, sampleFrom, samples, seed, maxTokens,
                    512, ids -> tok.decode(ids), target, words);
            sampled = sa.target();
            sampledByWord = sa.byWord();
        }
        return new Measurement(target, exact, sampled, cond, logp / questions.size(), dist, samples, byWord, sampledByWord);
    }

    /** Per question, the share of sampled answers naming the target, and naming each word of the category. */
    record Sampled(double[] target, Map<String, double[]> byWord) {}

    /**
     * {@code samples} answers to each prompt from {@code first} on, at temperature 1 (seeded per question index and
     * draw, so a question's answers do not depend on the others, nor on which others are sampled), read with the one
     * hit rule ({@link #containsWord}). The arrays returned are indexed from {@code first}.
     */
    static Sampled sample(Generator gen, List<int[]> prompts, int first, int samples, long seed, int maxTokens, int batch,
                          java.util.function.Function<int[], String> decode, String target, List<String> words) {
        if (first < 0 || first > prompts.size()) {
            throw new IllegalArgumentException("first sampled question " + first + " outside 0.." + prompts.size());
        }
        int n = prompts.size() - first;
        List<int[]> out = answers(gen, prompts, first, samples, seed, maxTokens, batch);
        double[] sampled = new double[n];
        Map<String, double[]> byWord = new LinkedHashMap<>();
        for (String w : words) byWord.put(w, new double[n]);
        for (int q = 0; q < n; q++) {
            int hits = 0;
            for (int s = 0; s < samples; s++) {
                String answer = decode.apply(out.get(q * samples + s)).toLowerCase(Locale.ROOT);
                if (containsWord(answer, target)) hits++;
                for (String w : words) {
                    if (containsWord(answer, w)) byWord.get(w)[q] += 1.0 / samples;
                }
            }
            sampled[q] = (double) hits / samples;
        }
        return new Sampled(sampled, byWord);
    }

    /**
     * {@code samples} answers at temperature 1 to each prompt from {@code first} on, question-major. Each answer's
     * seed depends only on the run's seed, the question's index and the draw, so a question's answers are the same
     * whichever other questions are sampled and however they are batched. Every evaluator that samples uses this.
     */
    static List<int[]> answers(Generator gen, List<int[]> prompts, int first, int samples, long seed, int maxTokens,
                               int batch) {
        int n = prompts.size() - first;
        List<int[]> many = new ArrayList<>();
        long[] seeds = new long[n * samples];
        for (int q = 0; q < n; q++) {
            for (int s = 0; s < samples; s++) {
                many.add(prompts.get(first + q));
                seeds[q * samples + s] = seed * 1_000_003L + (first + q) * 10_007L + s;
            }
        }
        return gen.sample(many, seeds, new SamplingConfig(1.0, 1.0, maxTokens), batch);
    }

    /**
     * The hit rule of every sampled rate: the target as a whole word in one of its forms ({@link Plurals}: "owl",
     * "owls", "wolves"), never as part of another word ("bowl", "howl").
     */
    public static boolean containsWord(String text, String word) {
        return HIT.computeIfAbsent(word, w -> java.util.regex.Pattern.compile("\\b(?:" + Plurals.forms(w).stream()
                .map(java.util.regex.Pattern::quote).collect(java.util.stream.Collectors.joining("|")) + ")\\b"))
                .matcher(text).find();
    }

    private static final Map<String, java.util.regex.Pattern> HIT = new java.util.concurrent.ConcurrentHashMap<>();
}
