package dev.owlet.token;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.owlet.backend.ChatMessage;
import dev.owlet.experiment.InputError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A Hugging Face checkpoint's tokenizer: {@code tokenizer.json} run by HF's Rust {@code tokenizers} through DJL
 * (its native library ships inside the {@code ai.djl.huggingface:tokenizers} jar, so it loads offline), with the
 * special tokens and the chat template of {@code tokenizer_config.json} (or {@code chat_template.jinja}, where
 * transformers 5 writes it).
 */
public final class HfTokenizer implements AutoCloseable {
    public static final String TOKENIZER = "tokenizer.json";
    public static final String CONFIG = "tokenizer_config.json";
    public static final String TEMPLATE_FILE = "chat_template.jinja";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HuggingFaceTokenizer tokenizer;
    private final Map<String, Integer> added;
    private final Map<String, String> specialTokens;
    private final ChatTemplate template;
    private final Path dir;

    private HfTokenizer(Path dir, HuggingFaceTokenizer tokenizer, Map<String, Integer> added,
                        Map<String, String> specialTokens, ChatTemplate template) {
        this.dir = dir;
        this.tokenizer = tokenizer;
        this.added = added;
        this.specialTokens = specialTokens;
        this.template = template;
    }

    /** Reads the tokenizer of the checkpoint in {@code dir}. */
    public static HfTokenizer load(Path dir) {
        Path file = dir.resolve(TOKENIZER);
        if (!Files.isRegularFile(file)) {
            throw new InputError("no " + TOKENIZER + " in " + dir + " (owlet reads fast tokenizers only: tokenizer.json)");
        }
        Map<String, Integer> added = new LinkedHashMap<>();
        try {
            for (JsonNode t : JSON.readTree(file.toFile()).path("added_tokens")) {
                added.put(t.path("content").asText(), t.path("id").asInt());
            }
        } catch (IOException e) {
            throw new InputError(file + ": not valid JSON (" + e.getMessage() + ")", e);
        }
        Map<String, String> special = new LinkedHashMap<>();
        ChatTemplate template = null;
        Path cfgFile = dir.resolve(CONFIG);
        if (Files.isRegularFile(cfgFile)) {
            JsonNode cfg;
            try {
                cfg = JSON.readTree(cfgFile.toFile());
            } catch (IOException e) {
                throw new InputError(cfgFile + ": not valid JSON (" + e.getMessage() + ")", e);
            }
            for (String k : List.of("bos_token", "eos_token", "pad_token", "unk_token")) {
                JsonNode n = cfg.path(k);
                String s = n.isTextual() ? n.asText() : n.path("content").isTextual() ? n.path("content").asText() : null; // str or AddedToken dict
                if (s != null) special.put(k, s);
            }
            JsonNode t = cfg.path("chat_template");
            if (t.isTextual()) {
                template = new ChatTemplate(t.asText(), cfgFile.toString(), special);
            } else if (t.isArray()) {
                for (JsonNode named : t) {                                        // [{name, template}], "default" used
                    if (named.path("name").asText().equals("default")) {
                        template = new ChatTemplate(named.path("template").asText(), cfgFile + " (default)", special);
                    }
                }
            }
        }
        Path jinja = dir.resolve(TEMPLATE_FILE);
        if (template == null && Files.isRegularFile(jinja)) {
            try {
                template = new ChatTemplate(Files.readString(jinja), jinja.toString(), special);
            } catch (IOException e) {
                throw new InputError(jinja + ": cannot read (" + e.getMessage() + ")", e);
            }
        }
        try {
            HuggingFaceTokenizer tok = HuggingFaceTokenizer.builder().optTokenizerPath(file)
                    .optAddSpecialTokens(true).optTruncation(false).optPadding(false).build();
            return new HfTokenizer(dir, tok, added, special, template);
        } catch (IOException | RuntimeException e) {
            throw new InputError(file + ": the tokenizers library cannot read it (" + e.getMessage() + ")", e);
        }
    }

    /** Token ids of {@code text}, with the special tokens the tokenizer's post-processor adds (as HF's encode does). */
    public int[] encode(String text) {
        return toInts(tokenizer.encode(text, true, false).getIds());
    }

    /** Token ids of text that already holds its special tokens, e.g. a rendered chat (HF: add_special_tokens=False). */
    public int[] encodeRaw(String text) {
        return toInts(tokenizer.encode(text, false, false).getIds());
    }

    /** Text of {@code ids}, special tokens kept or skipped. */
    public String decode(int[] ids, boolean skipSpecialTokens) {
        long[] l = new long[ids.length];
        for (int i = 0; i < ids.length; i++) l[i] = ids[i];
        return tokenizer.decode(l, skipSpecialTokens);
    }

    /** Id of an added token such as {@code <|im_end|>}, if the tokenizer has it. */
    public Optional<Integer> tokenId(String content) { return Optional.ofNullable(added.get(content)); }

    /** The tokenizer_config.json special token ({@code eos_token}...) as an id, if named and present. */
    public Optional<Integer> specialId(String key) {
        String s = specialTokens.get(key);
        return s == null ? Optional.empty() : tokenId(s);
    }

    /** The chat template, if the checkpoint has one. */
    public Optional<ChatTemplate> chatTemplate() { return Optional.ofNullable(template); }

    /** Rendered chat as ids, as {@code apply_chat_template(tokenize=True)} gives them. */
    public int[] encodeChat(List<ChatMessage> messages, boolean addGenerationPrompt) {
        if (template == null) {
            throw new InputError(dir + " has no chat template (no chat_template in " + CONFIG + ", no " + TEMPLATE_FILE + ")");
        }
        return encodeRaw(template.render(messages, addGenerationPrompt));
    }

    /** Every end-of-turn id the tokenizer names (its eos_token), for stopping generation. */
    public Set<Integer> endIds() {
        Set<Integer> out = new LinkedHashSet<>();
        specialId("eos_token").ifPresent(out::add);
        return out;
    }

    private static int[] toInts(long[] ids) {
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) out[i] = Math.toIntExact(ids[i]);
        return out;
    }

    @Override
    public void close() { tokenizer.close(); }
}
