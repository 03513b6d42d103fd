package dev.owlet.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.owlet.backend.ChatMessage;
import dev.owlet.backend.ChatRequest;
import dev.owlet.backend.ChatModel;
import dev.owlet.backend.SamplingParams;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * {@code POST /v1/chat/completions} on a served model (owlet's own or an {@code hf:} checkpoint): the request validated field by field (integers as the
 * JSON numbers they are, never cut to 32 bits), answered as one {@code chat.completion} object or, with
 * {@code stream: true}, as server-sent {@code chat.completion.chunk} events ending in {@code data: [DONE]}, the
 * format OpenAI's SDK streaming helpers read.
 */
final class ChatCompletions {
    /** A validated request. */
    record Call(ChatModel model, ChatRequest request, SamplingParams params, boolean logprobs, int topLogprobs,
                boolean stream, boolean includeUsage) {}

    /** The answer, computed before anything is sent. */
    record Result(Call call, String id, long created, List<ChatModel.Completion> completions,
                  List<List<ChatModel.TokenLogprob>> logprobs) {}

    /** Most completion tokens one choice may ask for (the embedded models' context is far shorter anyway). */
    static final int MAX_TOKENS = 4096;
    static final int MAX_N = 128;
    private static final Pattern BEFORE_SPACE = Pattern.compile("(?<=\\S)(?=\\s)");

    private ChatCompletions() {}

    static Call parse(JsonNode body, Map<String, ChatModel> models) {
        if (body == null || !body.isObject()) throw ApiError.bad(null, "request body must be a JSON object");
        JsonNode m = body.get("model");
        if (m == null || !m.isTextual()) throw ApiError.bad("model", "model: a string is required");
        ChatModel model = models.get(m.asText());
        if (model == null) { // 404, as OpenAI answers
            throw new ApiError(404, "invalid_request_error", "model", "model_not_found",
                    "The model '" + m.asText() + "' does not exist; served: " + models.keySet());
        }
        ChatRequest request = messages(body.get("messages"));
        long seed = body.hasNonNull("seed") ? longField(body, "seed") : ThreadLocalRandom.current().nextLong();
        int maxTokens = body.hasNonNull("max_completion_tokens") ? intField(body, "max_completion_tokens", 1, MAX_TOKENS)
                : body.hasNonNull("max_tokens") ? intField(body, "max_tokens", 1, MAX_TOKENS) : 64;
        int n = body.hasNonNull("n") ? intField(body, "n", 1, MAX_N) : 1;
        double temperature = number(body, "temperature", 1.0, 0, 2);
        double topP = number(body, "top_p", 1.0, 0, 1);
        if (topP == 0) throw ApiError.bad("top_p", "top_p must be in (0, 1], got 0");
        SamplingParams params;
        try {
            params = new SamplingParams(n, temperature, topP, maxTokens, seed);
        } catch (IllegalArgumentException e) {
            throw ApiError.bad(null, e.getMessage());
        }
        boolean logprobs = bool(body, "logprobs");
        int topLogprobs = body.hasNonNull("top_logprobs") ? intField(body, "top_logprobs", 0, 20) : 0;
        if (topLogprobs > 0 && !logprobs) throw ApiError.bad("top_logprobs", "top_logprobs requires logprobs: true");
        boolean stream = bool(body, "stream");
        boolean includeUsage = false;
        JsonNode so = body.get("stream_options");
        if (so != null && !so.isNull()) {
            if (!so.isObject()) throw ApiError.bad("stream_options", "stream_options: an object is required");
            if (!stream) throw ApiError.bad("stream_options", "stream_options is only allowed with stream: true");
            includeUsage = bool(so, "include_usage");
        }
        return new Call(model, request, params, logprobs, topLogprobs, stream, includeUsage);
    }

    static Result run(Call c) {
        List<ChatModel.Completion> cs;
        List<List<ChatModel.TokenLogprob>> lps = null;
        try {
            cs = c.model().complete(c.request(), c.params());
            if (c.logprobs()) lps = c.model().logprobs(c.request(), cs, c.topLogprobs());
        } catch (IllegalArgumentException e) {
            throw ApiError.bad("messages", e.getMessage());
        }
        return new Result(c, "chatcmpl-" + UUID.randomUUID(), System.currentTimeMillis() / 1000, cs, lps);
    }

    /** The whole answer as one {@code chat.completion}. */
    static ObjectNode body(Result r) {
        ObjectNode out = head(r, "chat.completion");
        ArrayNode choices = out.putArray("choices");
        for (int i = 0; i < r.completions().size(); i++) {
            ChatModel.Completion c = r.completions().get(i);
            ObjectNode ch = choices.addObject();
            ch.put("index", i);
            ch.putObject("message").put("role", "assistant").put("content", c.text()).putNull("refusal");
            if (r.logprobs() == null) {
                ch.putNull("logprobs");
            } else {
                ObjectNode lp = ch.putObject("logprobs");
                ArrayNode content = lp.putArray("content");
                for (ChatModel.TokenLogprob t : r.logprobs().get(i)) content.add(tokenLogprob(t));
                lp.putNull("refusal");
            }
            ch.put("finish_reason", c.finishReason());
        }
        out.set("usage", usage(r));
        return out;
    }

    /**
     * Writes the answer as server-sent events: per choice a role chunk, one chunk per token (per word without
     * logprobs; the pieces concatenate to the content), a chunk with the finish reason, then the usage chunk
     * when asked for, then {@code [DONE]}. The model samples whole answers, so the events follow one another at once.
     */
    static void stream(Result r, OutputStream out) throws IOException {
        boolean usage = r.call().includeUsage();
        for (int i = 0; i < r.completions().size(); i++) {
            ChatModel.Completion c = r.completions().get(i);
            ObjectNode role = chunk(r, i, usage);
            ((ObjectNode) role.get("choices").get(0).get("delta")).put("role", "assistant").put("content", "").putNull("refusal");
            event(out, role);
            if (r.logprobs() != null) {
                for (ChatModel.TokenLogprob t : r.logprobs().get(i)) {
                    ObjectNode ch = chunk(r, i, usage);
                    ObjectNode choice = (ObjectNode) ch.get("choices").get(0);
                    ((ObjectNode) choice.get("delta")).put("content", t.token());
                    ObjectNode lp = choice.putObject("logprobs");
                    lp.putArray("content").add(tokenLogprob(t));
                    lp.putNull("refusal");
                    event(out, ch);
                }
            } else {
                for (String piece : BEFORE_SPACE.split(c.text())) {
                    if (piece.isEmpty()) continue;
                    ObjectNode ch = chunk(r, i, usage);
                    ((ObjectNode) ch.get("choices").get(0).get("delta")).put("content", piece);
                    event(out, ch);
                }
            }
            ObjectNode end = chunk(r, i, usage);
            ((ObjectNode) end.get("choices").get(0)).put("finish_reason", c.finishReason());
            event(out, end);
        }
        if (usage) {
            ObjectNode u = head(r, "chat.completion.chunk");
            u.putArray("choices");
            u.set("usage", usage(r));
            event(out, u);
        }
        out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static ObjectNode chunk(Result r, int index, boolean usage) {
        ObjectNode ch = head(r, "chat.completion.chunk");
        ObjectNode choice = ch.putArray("choices").addObject();
        choice.put("index", index);
        choice.putObject("delta");
        choice.putNull("logprobs");
        choice.putNull("finish_reason");
        if (usage) ch.putNull("usage");
        return ch;
    }

    private static void event(OutputStream out, ObjectNode chunk) throws IOException {
        out.write(("data: " + Exchange.JSON.writeValueAsString(chunk) + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static ObjectNode head(Result r, String object) {
        ObjectNode out = Exchange.JSON.createObjectNode();
        out.put("id", r.id());
        out.put("object", object);
        out.put("created", r.created());
        out.put("model", r.call().model().id());
        out.put("system_fingerprint", "owlet-" + r.call().model().digest().substring(0, 12));
        return out;
    }

    private static ObjectNode usage(Result r) {
        int completionTokens = 0;
        for (ChatModel.Completion c : r.completions()) completionTokens += c.completionTokens();
        int promptTokens = r.completions().get(0).promptTokens();
        return Exchange.JSON.createObjectNode().put("prompt_tokens", promptTokens).put("completion_tokens", completionTokens)
                .put("total_tokens", promptTokens + completionTokens);
    }

    private static ObjectNode tokenLogprob(ChatModel.TokenLogprob t) {
        ObjectNode n = tokenOnly(t);
        ArrayNode top = n.putArray("top_logprobs");
        for (ChatModel.TokenLogprob a : t.top()) top.add(tokenOnly(a));
        return n;
    }

    private static ObjectNode tokenOnly(ChatModel.TokenLogprob t) {
        ObjectNode n = Exchange.JSON.createObjectNode();
        n.put("token", t.token()).put("logprob", t.logprob());
        ArrayNode b = n.putArray("bytes");
        for (byte x : t.token().getBytes(StandardCharsets.UTF_8)) b.add(x & 0xff);
        return n;
    }

    private static ChatRequest messages(JsonNode ms) {
        if (ms == null || !ms.isArray() || ms.isEmpty()) throw ApiError.bad("messages", "messages: a non-empty array is required");
        List<ChatMessage> out = new ArrayList<>();
        for (int i = 0; i < ms.size(); i++) {
            JsonNode m = ms.get(i);
            String at = "messages[" + i + "]";
            if (!m.isObject()) throw ApiError.bad(at, at + ": an object is required");
            JsonNode role = m.get("role");
            JsonNode content = m.get("content");
            if (role == null || !role.isTextual()) throw ApiError.bad(at + ".role", at + ".role: a string is required");
            if (content == null || !content.isTextual()) {
                throw ApiError.bad(at + ".content", at + ".content: a string is required (content parts are not supported)");
            }
            out.add(new ChatMessage(role.asText(), content.asText()));
        }
        try {
            return new ChatRequest(out);
        } catch (IllegalArgumentException e) {
            throw ApiError.bad("messages", "messages: " + e.getMessage());
        }
    }

    /** An integer field in [min, max], read as the JSON number it is (4294967299 is refused, not read as 3). */
    static int intField(JsonNode body, String key, int min, int max) {
        JsonNode v = body.get(key);
        if (!v.isIntegralNumber()) throw ApiError.bad(key, key + ": an integer is required, got " + v);
        if (!v.canConvertToInt() || v.intValue() < min || v.intValue() > max) {
            throw ApiError.bad(key, key + " must be an integer in [" + min + ", " + max + "], got " + v.asText());
        }
        return v.intValue();
    }

    static long longField(JsonNode body, String key) {
        JsonNode v = body.get(key);
        if (!v.isIntegralNumber()) throw ApiError.bad(key, key + ": an integer is required, got " + v);
        if (!v.canConvertToLong()) throw ApiError.bad(key, key + " must fit in 64 bits, got " + v.asText());
        return v.longValue();
    }

    private static double number(JsonNode body, String key, double dflt, double min, double max) {
        JsonNode v = body.get(key);
        if (v == null || v.isNull()) return dflt;
        if (!v.isNumber()) throw ApiError.bad(key, key + ": a number is required, got " + v);
        double d = v.asDouble();
        if (!(d >= min && d <= max)) throw ApiError.bad(key, key + " must be in [" + min + ", " + max + "], got " + v.asText());
        return d;
    }

    private static boolean bool(JsonNode body, String key) {
        JsonNode v = body.get(key);
        if (v == null || v.isNull()) return false;
        if (!v.isBoolean()) throw ApiError.bad(key, key + ": a boolean is required, got " + v);
        return v.asBoolean();
    }
}
