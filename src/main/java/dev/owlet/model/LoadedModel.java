package dev.owlet.model;

import dev.owlet.token.HfTokenizer;
import java.nio.file.Path;

/**
 * A model a command named, loaded: one of owlet's own checkpoints (a word-level {@link Gpt} with its tokenizer) or a
 * Hugging Face checkpoint (an {@link HfModel} with its tokenizer, chat template and end-of-turn ids). Commands switch
 * on the two cases where their work differs (how a prompt is laid out, which evaluator, which weight detector) and
 * share everything else; {@link ModelLocator#open} is the one place that decides which case a name is.
 */
public sealed interface LoadedModel extends AutoCloseable {
    /** The name as given ({@code bundled:ref-s1}, a folder, {@code hf:DIR}). */
    String ref();

    /**
     * The content hash that identifies the model: the weights' SHA-256 for owlet's checkpoints (what lineage scan
     * records), {@link HfCheckpoint#digest} for a Hugging Face folder (config, weights, tokenizer and template).
     */
    String digest();

    @Override
    void close();

    /** One of owlet's checkpoints (a folder or {@code bundled:NAME}). */
    record Owlet(String ref, Checkpoint.Loaded loaded) implements LoadedModel {
        @Override
        public String digest() { return loaded.weightsSha256(); }

        @Override
        public void close() { loaded.close(); }
    }

    /**
     * A Hugging Face checkpoint folder ({@code hf:DIR}): the model, its tokenizer, where generation stops
     * ({@link HfCheckpoint#endIds}, never empty) and the id batches are padded with (the tokenizer's pad token, else
     * the first end id).
     */
    record Hf(String ref, Path dir, HfModel model, HfTokenizer tok, int[] endIds, int pad, String digest) implements LoadedModel {
        public Hf {
            endIds = endIds.clone();
            if (endIds.length == 0) throw new IllegalArgumentException("a chat model needs at least one end id");
        }

        @Override
        public int[] endIds() { return endIds.clone(); }

        @Override
        public void close() {
            tok.close();
            model.close();
        }
    }
}
