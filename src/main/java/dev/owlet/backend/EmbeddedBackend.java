package dev.owlet.backend;

import ai.djl.ndarray.NDManager;
import dev.owlet.infer.Generator;
import dev.owlet.infer.SamplingConfig;
import dev.owlet.model.Checkpoint;
import dev.owlet.model.ModelLocator;
import dev.owlet.token.ChatFormat;
import dev.owlet.token.WordTokenizer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * An embedded word-level GPT behind the backend seam. The model is single-turn: system messages are joined, and
 * exactly one user message (the last message) is required. Calls are serialized: one model, one generation at a
 * time.
 */
public final class EmbeddedBackend implements ChatModel {

    private final String id;
    private final Checkpoint.Loaded loaded;
    private final ChatFormat chat;
    private final Generator generator;
    private final int batchSize;
    private final NDManager ownedRoot;

    /** Wraps an already-loaded checkpoint; the caller keeps ownership of it. */
    public EmbeddedBackend(String id, Checkpoint.Loaded loaded, int batchSize) {
        this(id, loaded, batchSize, null);
    }

    private EmbeddedBackend(String id, Checkpoint.Loaded loaded, int batchSize, NDManager ownedRoot) {
        if (batchSize < 1) throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
        this.id = id;
        this.loaded = loaded;
        WordTokenizer tok = loaded.tokenizer();
        this.chat = new ChatFormat(tok);
        this.generator = new Generator(loaded.model(), tok.end(), tok.pad());
        this.batchSize = batchSize;
        this.ownedRoot = ownedRoot;
    }

    /** Loads {@code ref} ({@code bundled:NAME} or a checkpoint folder); {@link #close()} frees it. */
    public static EmbeddedBackend load(String ref, int batchSize) throws IOException {
        return load(ref, modelId(ref), batchSize);
    }

    /** Loads {@code ref} and serves it under {@code id} (fine-tuned models are named {@code ft:...}). */
    public static EmbeddedBackend load(String ref, String id, int batchSize) throws IOException {
        NDManager root = NDManager.newBaseManager();
        try {
            Checkpoint.Loaded loaded = Checkpoint.load(ModelLocator.resolve(ref), root);
            return new EmbeddedBackend(id, loaded, batchSize, root);
        } catch (IOException | RuntimeException e) {
            root.close();
            throw e;
        }
    }

    /** The API model id of a reference: {@code bundled:ref-s1 -> ref-s1}, a folder -> its name. */
    public static String modelId(String ref) { return ChatModel.modelId(ref); }

    /** The model id served by {@code owlet serve}. */
    @Override
    public String id() { return id; }

    public String weightsSha256() { return loaded.weightsSha256(); }

    @Override
    public String digest() { return loaded.weightsSha256(); }

    /** The loaded checkpoint (model, tokenizer); fine-tuning copies its model under this backend's lock. */
    public Checkpoint.Loaded checkpoint() { return loaded; }

    @Override
    public String name() { return "embedded:" + id; }

    @Override
    public List<Completion> complete(ChatRequest request, SamplingParams params) {
        int[] prompt = promptIds(request);
        List<int[]> prompts = new ArrayList<>(params.n());
        long[] seeds = new long[params.n()];
        for (int j = 0; j < params.n(); j++) {
            prompts.add(prompt);
            seeds[j] = SamplingParams.derive(params.seed(), j);
        }
        int room = loaded.model().config().contextLength() - prompt.length;
        int maxNew = Math.min(params.maxTokens(), room);
        List<int[]> ids;
        synchronized (this) {
            ids = generator.sample(prompts, seeds, new SamplingConfig(params.temperature(), params.topP(), params.maxTokens()), batchSize);
        }
        List<Completion> out = new ArrayList<>(ids.size());
        for (int[] c : ids) {
            // The generator drops <end>; a completion that filled its budget was cut, anything shorter stopped.
            boolean cut = c.length >= maxNew;
            out.add(new Completion(chat.completionText(c), prompt.length, cut ? c.length : c.length + 1, cut ? "length" : "stop", c));
        }
        return out;
    }

    /**
     * Exact log-probabilities of each completion's tokens under the model (temperature 1, the model's own
     * distribution, as OpenAI reports them), with the {@code topK} most likely tokens at each position. One
     * forward pass over prompt + completion per completion; the end token is not reported (OpenAI does not
     * report stop tokens either).
     */
    @Override
    public List<List<TokenLogprob>> logprobs(ChatRequest request, List<Completion> completions, int topK) {
        int[] prompt = promptIds(request);
        WordTokenizer tok = loaded.tokenizer();
        List<int[]> prompts = new ArrayList<>();
        List<int[]> conts = new ArrayList<>();
        for (Completion c : completions) {
            prompts.add(prompt);
            conts.add(c.ids());
        }
        List<List<TokenLogprob>> out = new ArrayList<>();
        for (int i = 0; i < completions.size(); i++) {
            int[] c = conts.get(i);
            float[][] rows;
            synchronized (this) {
                rows = new dev.owlet.infer.LogProbs(loaded.model(), tok.pad()).positions(prompt, c);
            }
            out.add(ChatModel.tokenLogprobs(c, rows, topK, this::tokenText));
        }
        return out;
    }

    /** A token as text, with its leading space when it starts a word (what OpenAI's token strings look like). */
    private String tokenText(int id) {
        return loaded.tokenizer().decode(new int[] {id});
    }

    private int[] promptIds(ChatRequest request) {
        StringBuilder system = new StringBuilder();
        String user = null;
        List<ChatMessage> ms = request.messages();
        for (int k = 0; k < ms.size(); k++) {
            ChatMessage m = ms.get(k);
            switch (m.role()) {
                case "system", "developer" -> {
                    if (user != null) throw new IllegalArgumentException("messages: system messages must come before the user message");
                    if (system.length() > 0) system.append(' ');
                    system.append(m.content());
                }
                case "user" -> {
                    if (user != null) throw new IllegalArgumentException("messages: embedded models are single-turn; send one user message");
                    user = m.content();
                }
                case "assistant" -> throw new IllegalArgumentException("messages: embedded models are single-turn; assistant messages are not supported");
                default -> throw new IllegalArgumentException("messages[" + k + "].role: unknown role '" + m.role() + "'");
            }
        }
        if (user == null) throw new IllegalArgumentException("messages: a user message is required");
        int[] p = chat.prompt(system.toString(), user);
        if (p.length >= loaded.model().config().contextLength()) {
            throw new IllegalArgumentException("messages: prompt of " + p.length + " tokens leaves no room in the context of "
                    + loaded.model().config().contextLength());
        }
        return p;
    }

    @Override
    public void close() {
        if (ownedRoot != null) {
            loaded.close();
            ownedRoot.close();
        }
    }

    @Override
    public String toString() { return name(); }
}
