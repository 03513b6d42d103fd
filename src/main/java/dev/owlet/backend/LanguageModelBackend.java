package dev.owlet.backend;

import java.util.List;

/**
 * Where completions come from: the embedded GPTs or an OpenAI-compatible server. Request {@code i} is sampled
 * with seed {@code SamplingParams.derive(params.seed(), i)}, so results do not depend on how requests are grouped.
 */
public interface LanguageModelBackend extends AutoCloseable {
    /** A short name for logs and manifests (never contains credentials). */
    String name();

    /** {@code params.n()} completion texts for each request, in request order. */
    List<List<String>> sample(List<ChatRequest> requests, SamplingParams params);

    @Override
    default void close() {}
}
