package dev.owlet.eval;

import dev.owlet.backend.ChatMessage;
import dev.owlet.infer.Generator;
import dev.owlet.infer.LogProbs;
import dev.owlet.model.CausalLm;
import dev.owlet.token.HfTokenizer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@link TraitEvaluator}'s measurement for a Hugging Face chat model: the question is laid out with the checkpoint's
 * chat template, and a word is not one token of a word-level vocabulary but usually several subword tokens. So the
 * exact probability of a word is {@code exp(log P(word's tokens | prompt))}, summed over the two forms a chat
 * model answers with ({@code owl} and {@code Owl}); it is the probability that the answer begins with the word, as
 * the tokenizer spells it on its own. Sampled answers count a hit as {@link TraitEvaluator#containsWord} does.
 */
public final class ChatTraitEvaluator {
    private final CausalLm model;
    private final HfTokenizer tok;
    private final int[] endIds;
    private final int padId;

    public ChatTraitEvaluator(CausalLm model, HfTokenizer tok, int[] endIds) {
        this.model = model;
        this.tok = tok;
        this.endIds = endIds.clone();
        this.padId = tok.specialId("pad_token").orElse(endIds.length > 0 ? endIds[0] : 0);
    }

    /** The spellings whose probabilities add up to a word's: as written and capitalised (one form when they agree). */
    static List<String> forms(String word) {
        String cap = word.substring(0, 1).toUpperCase(Locale.ROOT) + word.substring(1);
        return cap.equals(word) ? List.of(word) : List.of(word, cap);
    }

    /** The chat prompt of {@code question} under {@code system} (or none), ready for the assistant's turn. */
    public int[] prompt(String system, String question) {
        List<ChatMessage> msgs = new ArrayList<>();
        if (system != null) msgs.add(ChatMessage.system(system));
        msgs.add(ChatMessage.user(question));
        return tok.encodeChat(msgs, true);
    }

    /**
     * Exact probabilities of every category word on every question, and {@code samples} sampled answers per question
     * (0: exact only).
     */
    public TraitEvaluator.Measurement measure(List<String> questions, String system, String target, List<String> words,
                                              int samples, int maxTokens, long seed) {
        return measure(questions, system, target, words, samples, maxTokens, seed, 0);
    }

    /** As above, sampling answers only to questions {@code sampleFrom..} (see {@link TraitEvaluator}). */
    public TraitEvaluator.Measurement measure(List<String> questions, String system, String target, List<String> words,
                                              int samples, int maxTokens, long seed, int sampleFrom) {
        if (!words.contains(target)) throw new IllegalArgumentException("target '" + target + "' is not among " + words);
        List<int[]> prompts = new ArrayList<>();
        for (String q : questions) prompts.add(prompt(system, q));
        // P(form) = product over its tokens of P(token | prompt, the tokens before it): one next-token distribution
        // per distinct (question, token prefix), so words that share a first token (or are one token, as most
        // animals are in a large vocabulary) share a forward pass
        Map<String, int[]> spelled = new LinkedHashMap<>();
        for (String w : words) for (String f : forms(w)) spelled.put(f, tok.encodeRaw(f));
        List<List<Integer>> prefixes = new ArrayList<>();
        Map<List<Integer>, Integer> prefixIndex = new LinkedHashMap<>();
        for (int[] ids : spelled.values()) {
            for (int j = 0; j < ids.length; j++) {
                List<Integer> pre = new ArrayList<>();
                for (int i = 0; i < j; i++) pre.add(ids[i]);
                if (!prefixIndex.containsKey(pre)) {
                    prefixIndex.put(pre, prefixes.size());
                    prefixes.add(pre);
                }
            }
        }
        List<int[]> prefixIds = new ArrayList<>();
        for (List<Integer> x : prefixes) prefixIds.add(x.stream().mapToInt(Integer::intValue).toArray());
        LogProbs lp = new LogProbs(model, padId);
        float[][] next = new float[prompts.size() * prefixes.size()][];
        for (int q = 0; q < prompts.size(); q++) {
            float[][] after = lp.afterPrefixes(prompts.get(q), prefixIds);
            System.arraycopy(after, 0, next, q * prefixes.size(), after.length);
        }
        Map<String, double[]> byWord = new LinkedHashMap<>();
        Map<String, Double> dist = new LinkedHashMap<>();
        for (String w : words) {
            byWord.put(w, new double[questions.size()]);
            dist.put(w, 0.0);
        }
        for (int q = 0; q < questions.size(); q++) {
            int base = q * prefixes.size();
            for (String w : words) {
                double p = 0;
                for (String f : forms(w)) {
                    int[] ids = spelled.get(f);
                    double pf = 1;
                    List<Integer> pre = new ArrayList<>();
                    for (int id : ids) {
                        pf *= next[base + prefixIndex.get(pre)][id];
                        pre.add(id);
                    }
                    p += pf;
                }
                byWord.get(w)[q] = p;
                dist.merge(w, p / questions.size(), Double::sum);
            }
        }
        double[] exact = byWord.get(target).clone();
        double[] cond = new double[questions.size()];
        double logp = 0;
        for (int q = 0; q < questions.size(); q++) {
            double in = 0;
            for (String w : words) in += byWord.get(w)[q];
            cond[q] = in > 0 ? exact[q] / in : 0;
            logp += Math.log(Math.max(1e-30, exact[q]));
        }
        double[] sampled = new double[0];
        Map<String, double[]> sampledByWord = new LinkedHashMap<>();
        if (samples > 0) {
            TraitEvaluator.Sampled sa = TraitEvaluator.sample(new Generator(model, endIds, padId), prompts, sampleFrom, samples, seed,
                    maxTokens, 64, ids -> tok.decode(ids, true), target, words);
            sampled = sa.target();
            sampledByWord = sa.byWord();
        }
        return new TraitEvaluator.Measurement(target, exact, sampled, cond, logp / questions.size(), dist, samples, byWord,
                sampledByWord);
    }
}
