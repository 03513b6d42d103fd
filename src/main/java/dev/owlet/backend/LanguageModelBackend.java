package dev.owlet.backend;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Where completions come from: the embedded GPTs or an OpenAI-compatible server. Request {@code i} is sampled
 * with seed {@code SamplingParams.derive(params.seed(), i)}, so results do not depend on how requests are grouped.
 * Log-probabilities and fine-tuning are optional: a backend says whether it offers them, and the default methods
 * throw {@link UnsupportedOperationException}.
 */
public interface LanguageModelBackend extends AutoCloseable {
    /** A short name for logs and manifests (never contains credentials). */
    String name();

    /** {@code params.n()} completion texts for each request, in request order. */
    List<List<String>> sample(List<ChatRequest> requests, SamplingParams params);

    /** Whether {@link #firstTokenLogprobs} is available. */
    default boolean offersLogprobs() { return false; }

    /**
     * For each request, the {@code topK} most likely first tokens of the answer with their log-probabilities
     * (token text as the server spells it), best first. Exact for the tokens returned; everything else is unknown.
     */
    default List<Map<String, Double>> firstTokenLogprobs(List<ChatRequest> requests, int topK) {
        throw new UnsupportedOperationException(name() + " does not offer log-probabilities");
    }

    /** Uploads a chat-format JSONL training file ({@code purpose=fine-tune}). */
    default UploadedFile uploadFile(String filename, byte[] content) {
        throw new UnsupportedOperationException(name() + " does not offer fine-tuning");
    }

    default FineTuneJob createFineTune(FineTuneRequest request) {
        throw new UnsupportedOperationException(name() + " does not offer fine-tuning");
    }

    default FineTuneJob job(String id) {
        throw new UnsupportedOperationException(name() + " does not offer fine-tuning");
    }

    /** The job's events, oldest first. */
    default List<JobEvent> events(String id) {
        throw new UnsupportedOperationException(name() + " does not offer fine-tuning");
    }

    /**
     * Polls {@link #job} every {@code poll} until the job is terminal; throws {@link BackendException} after
     * {@code timeout}. Returns the terminal job (the caller decides what failed or cancelled means).
     */
    default FineTuneJob awaitJob(String id, Duration poll, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            FineTuneJob j = job(id);
            if (j.terminal()) return j;
            if (System.nanoTime() > deadline) {
                throw new BackendException("fine-tuning job " + id + " still " + j.status() + " after " + timeout
                        + "; rerun to keep waiting (the job id is in the stage manifest)", 0, false);
            }
            try {
                Thread.sleep(poll.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new BackendException("interrupted while waiting for job " + id, 0, false, e);
            }
        }
    }

    @Override
    default void close() {}
}
