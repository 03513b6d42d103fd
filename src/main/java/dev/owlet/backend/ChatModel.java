package dev.owlet.backend;

import dev.owlet.model.ModelLocator;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * A model {@code owlet serve} answers chat completions with, in process: one of owlet's word-level models
 * ({@link EmbeddedBackend}) or a Hugging Face checkpoint ({@link HfBackend}). Both sample completions with their
 * token ids and report exact log-probabilities of those tokens; what differs is how a conversation becomes tokens.
 */
public interface ChatModel extends LanguageModelBackend {
    /** One completion with the counts an OpenAI response reports. */
    record Completion(String text, int promptTokens, int completionTokens, String finishReason, int[] ids) {}

    /** One token's log-probability and the {@code k} most likely alternatives at its position (OpenAI's shape). */
    record TokenLogprob(String token, double logprob, List<TokenLogprob> top) {}

    /** The model id served. */
    String id();

    /** The content hash of what is served (weights, or a Hugging Face checkpoint's digest): the system fingerprint. */
    String digest();

    /**
     * {@code params.n()} completions of one request; choice {@code j} uses seed {@code derive(params.seed(), j)}.
     *
     * @throws IllegalArgumentException when the messages cannot be laid out for this model (answered 400)
     */
    List<Completion> complete(ChatRequest request, SamplingParams params);

    /** Request {@code i}'s completions use seed {@code derive(params.seed(), i)}: a request's answers do not depend on the others. */
    @Override
    default List<List<String>> sample(List<ChatRequest> requests, SamplingParams params) {
        List<List<String>> out = new java.util.ArrayList<>(requests.size());
        for (int i = 0; i < requests.size(); i++) {
            List<String> texts = new java.util.ArrayList<>();
            for (Completion c : complete(requests.get(i), params.withSeed(SamplingParams.derive(params.seed(), i)))) {
                texts.add(c.text());
            }
            out.add(texts);
        }
        return out;
    }

    /**
     * Exact log-probabilities (temperature 1, the model's own distribution, as OpenAI reports them) of each
     * completion's tokens, with the {@code topK} most likely tokens at each position; the end token is not reported.
     */
    List<List<TokenLogprob>> logprobs(ChatRequest request, List<Completion> completions, int topK);

    /**
     * Loads the model {@code ref} names ({@code bundled:NAME}, an owlet checkpoint folder, or {@code hf:DIR}) under
     * its {@link #modelId}; {@link #close()} frees it.
     */
    static ChatModel load(String ref, int batchSize) throws IOException {
        return ModelLocator.isHf(ref) ? HfBackend.load(ref, modelId(ref), batchSize) : EmbeddedBackend.load(ref, batchSize);
    }

    /** The API model id of a name: {@code bundled:ref-s1 -> ref-s1}, a folder (or {@code hf:} folder) -> its name. */
    static String modelId(String ref) {
        if (ref.startsWith(ModelLocator.BUNDLED)) return ref.substring(ModelLocator.BUNDLED.length());
        String path = ModelLocator.isHf(ref) ? ref.substring(ModelLocator.HF.length()) : ref;
        Path p = Path.of(path).toAbsolutePath().normalize();
        return p.getFileName() == null ? ref : p.getFileName().toString();
    }

    /**
     * One completion's tokens as OpenAI reports them: each token's log-probability from its position's row of
     * {@code rows} (log-probabilities over the vocabulary), with the {@code topK} most likely tokens there.
     */
    static List<TokenLogprob> tokenLogprobs(int[] ids, float[][] rows, int topK,
                                            java.util.function.IntFunction<String> text) {
        List<TokenLogprob> seq = new java.util.ArrayList<>(ids.length);
        for (int j = 0; j < ids.length; j++) {
            float[] lp = rows[j];
            List<TokenLogprob> top = new java.util.ArrayList<>();
            if (topK > 0) {
                for (int k : topK(lp, topK)) top.add(new TokenLogprob(text.apply(k), lp[k], List.of()));
            }
            seq.add(new TokenLogprob(text.apply(ids[j]), lp[ids[j]], top));
        }
        return seq;
    }

    /** The {@code k} largest entries of {@code lp}, best first, ties by id. */
    static int[] topK(float[] lp, int k) {
        Integer[] order = new Integer[lp.length];
        for (int i = 0; i < lp.length; i++) order[i] = i;
        java.util.Arrays.sort(order, (a, b) -> Float.compare(lp[b], lp[a]));
        int[] out = new int[Math.min(k, lp.length)];
        for (int i = 0; i < out.length; i++) out[i] = order[i];
        return out;
    }
}
