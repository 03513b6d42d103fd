package dev.owlet.backend;

import ai.djl.ndarray.NDManager;
import dev.owlet.infer.Generator;
import dev.owlet.infer.LogProbs;
import dev.owlet.infer.SamplingConfig;
import dev.owlet.model.LoadedModel;
import dev.owlet.model.ModelLocator;
import java.util.ArrayList;
import java.util.List;

/**
 * A Hugging Face checkpoint ({@code hf:DIR}) behind the chat seam: a conversation is laid out with the checkpoint's
 * own chat template (multi-turn, system messages included, ready for the assistant's turn), sampled with the
 * key/value-cached {@link Generator} until any of the checkpoint's end ids, and scored with {@link LogProbs}. Calls
 * are serialized: one model, one forward pass at a time.
 */
public final class HfBackend implements ChatModel {
    private final String id;
    private final LoadedModel.Hf hf;
    private final Generator generator;
    private final int batchSize;
    private final NDManager ownedRoot;

    private HfBackend(String id, LoadedModel.Hf hf, int batchSize, NDManager ownedRoot) {
        if (batchSize < 1) throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
        this.id = id;
        this.hf = hf;
        this.generator = new Generator(hf.model(), hf.endIds(), hf.pad());
        this.batchSize = batchSize;
        this.ownedRoot = ownedRoot;
    }

    /** Wraps an already-loaded checkpoint; the caller keeps ownership of it. */
    public static HfBackend of(String id, LoadedModel.Hf hf, int batchSize) {
        return new HfBackend(id, hf, batchSize, null);
    }

    /** Loads {@code hf:DIR} and serves it under {@code id}; {@link #close()} frees it. */
    public static HfBackend load(String ref, String id, int batchSize) {
        NDManager root = NDManager.newBaseManager();
        try {
            if (!ModelLocator.isHf(ref)) throw new IllegalArgumentException(ref + " is not an hf: checkpoint");
            return new HfBackend(id, ModelLocator.openHf(ref, ModelLocator.hfDir(ref, java.nio.file.Path.of("")), root),
                    batchSize, root);
        } catch (RuntimeException e) {
            root.close();
            throw e;
        }
    }

    @Override
    public String id() { return id; }

    @Override
    public String digest() { return hf.digest(); }

    @Override
    public String name() { return "hf:" + id; }

    /** The loaded checkpoint (model, tokenizer, end ids). */
    public LoadedModel.Hf checkpoint() { return hf; }

    @Override
    public List<Completion> complete(ChatRequest request, SamplingParams params) {
        int[] prompt = promptIds(request);
        List<int[]> prompts = new ArrayList<>(params.n());
        long[] seeds = new long[params.n()];
        for (int j = 0; j < params.n(); j++) {
            prompts.add(prompt);
            seeds[j] = SamplingParams.derive(params.seed(), j);
        }
        int maxNew = Math.min(params.maxTokens(), hf.model().contextLength() - prompt.length);
        List<int[]> ids;
        synchronized (this) {
            ids = generator.sample(prompts, seeds, new SamplingConfig(params.temperature(), params.topP(), maxNew), batchSize);
        }
        List<Completion> out = new ArrayList<>(ids.size());
        for (int[] c : ids) {
            // The generator drops the end token; a completion that filled its budget was cut, anything shorter stopped.
            boolean cut = c.length >= maxNew;
            out.add(new Completion(hf.tok().decode(c, true), prompt.length, cut ? c.length : c.length + 1,
                    cut ? "length" : "stop", c));
        }
        return out;
    }

    /** One forward pass over prompt + completion per completion; see {@link ChatModel#logprobs}. */
    @Override
    public List<List<TokenLogprob>> logprobs(ChatRequest request, List<Completion> completions, int topK) {
        int[] prompt = promptIds(request);
        LogProbs lp = new LogProbs(hf.model(), hf.pad());
        List<List<TokenLogprob>> out = new ArrayList<>();
        for (Completion comp : completions) {
            int[] c = comp.ids();
            float[][] rows;
            synchronized (this) {
                rows = c.length == 0 ? new float[0][] : lp.positions(prompt, c);
            }
            out.add(ChatModel.tokenLogprobs(c, rows, topK, this::tokenText));
        }
        return out;
    }

    /** A token as the tokenizer decodes it alone (a byte-level piece of a multi-byte character may decode to U+FFFD). */
    private String tokenText(int tokenId) {
        return hf.tok().decode(new int[] {tokenId}, false);
    }

    /**
     * The conversation through the checkpoint's chat template, ready for the assistant's turn: roles system
     * ({@code developer} is read as system), user and assistant, ending with a user message.
     */
    int[] promptIds(ChatRequest request) {
        List<ChatMessage> msgs = new ArrayList<>();
        List<ChatMessage> ms = request.messages();
        for (int k = 0; k < ms.size(); k++) {
            ChatMessage m = ms.get(k);
            switch (m.role()) {
                case "system", "developer" -> msgs.add(ChatMessage.system(m.content()));
                case "user", "assistant" -> msgs.add(m);
                default -> throw new IllegalArgumentException("messages[" + k + "].role: unknown role '" + m.role() + "'");
            }
        }
        if (msgs.isEmpty() || !msgs.get(msgs.size() - 1).role().equals("user")) {
            throw new IllegalArgumentException("messages: the last message must be the user's");
        }
        int[] p;
        try {
            p = hf.tok().encodeChat(msgs, true);
        } catch (RuntimeException e) { // a template that raises (e.g. roles out of order) is the request's fault
            throw new IllegalArgumentException("messages: the chat template of " + hf.dir() + " refused them: " + e.getMessage(), e);
        }
        if (p.length >= hf.model().contextLength()) {
            throw new IllegalArgumentException("messages: prompt of " + p.length + " tokens leaves no room in the context of "
                    + hf.model().contextLength());
        }
        return p;
    }

    @Override
    public void close() {
        if (ownedRoot != null) {
            hf.close();
            ownedRoot.close();
        }
    }

    @Override
    public String toString() { return name(); }
}
