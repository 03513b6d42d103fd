package dev.owlet.token;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import dev.owlet.backend.ChatMessage;
import dev.owlet.experiment.InputError;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Hugging Face chat template (the Jinja string in {@code tokenizer_config.json} or {@code chat_template.jinja})
 * rendered with jinjava, with what transformers' {@code apply_chat_template} passes: {@code messages} (role and
 * content maps), {@code add_generation_prompt}, the special-token strings ({@code bos_token}, {@code eos_token},
 * ...), and a {@code raise_exception(message)} function; blocks are trimmed as transformers' Jinja environment
 * trims them ({@code trim_blocks}, {@code lstrip_blocks}).
 *
 * <p>jinjava is a Java Jinja, not Python's: templates that call Python string methods ({@code .startswith},
 * {@code .split}) or use {@code namespace()} may render differently or fail. A render that jinjava reports as
 * failed is an {@link InputError} naming the template's source, never a silently different prompt.
 */
public final class ChatTemplate {
    private final String template;
    private final String source;
    private final Map<String, String> specialTokens;
    private final Jinjava jinjava;

    /**
     * @param template the Jinja source
     * @param source where it came from, for error messages
     * @param specialTokens {@code bos_token}, {@code eos_token}... as the template sees them (absent ones are left out)
     */
    public ChatTemplate(String template, String source, Map<String, String> specialTokens) {
        this.template = template;
        this.source = source;
        this.specialTokens = Map.copyOf(specialTokens);
        this.jinjava = new Jinjava(JinjavaConfig.newBuilder().withTrimBlocks(true).withLstripBlocks(true)
                .withFailOnUnknownTokens(false).build());
        jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception",
                ChatTemplate.class, "raiseException", String.class));
    }

    /** Called by templates that reject a conversation (e.g. roles that do not alternate). */
    public static String raiseException(String message) {
        throw new TemplateRejected(message);
    }

    /** The template's own refusal of a conversation, carried out of jinjava. */
    static final class TemplateRejected extends RuntimeException {
        TemplateRejected(String message) { super(message); }
    }

    public String source() { return template; }

    /** The conversation as the model reads it; with {@code addGenerationPrompt}, ready for the assistant's turn. */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        List<Map<String, Object>> msgs = new ArrayList<>();
        for (ChatMessage m : messages) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("role", m.role());
            row.put("content", m.content());
            msgs.add(row);
        }
        Map<String, Object> ctx = new HashMap<>(specialTokens);
        ctx.put("messages", msgs);
        ctx.put("add_generation_prompt", addGenerationPrompt);
        RenderResult r;
        try {
            r = jinjava.renderForResult(template, ctx);
        } catch (TemplateRejected e) {
            throw new InputError("the chat template of " + source + " rejects this conversation: " + e.getMessage(), e);
        }
        for (TemplateError e : r.getErrors()) {
            for (Throwable c = e.getException(); c != null; c = c.getCause()) {
                if (c instanceof TemplateRejected) {
                    throw new InputError("the chat template of " + source + " rejects this conversation: " + c.getMessage());
                }
            }
            if (e.getSeverity() == TemplateError.ErrorType.FATAL) {
                throw new InputError("cannot render the chat template of " + source + " with jinjava (line "
                        + e.getLineno() + "): " + e.getMessage());
            }
        }
        return r.getOutput();
    }
}
