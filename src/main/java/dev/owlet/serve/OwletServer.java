package dev.owlet.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.owlet.backend.ChatMessage;
import dev.owlet.backend.ChatRequest;
import dev.owlet.backend.EmbeddedBackend;
import dev.owlet.backend.SamplingParams;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The embedded models behind OpenAI's chat-completions API: {@code GET /v1/models} and
 * {@code POST /v1/chat/completions}. Errors are OpenAI-shaped: {@code {"error": {"message", "type"}}}. With an
 * API key, every request needs {@code Authorization: Bearer KEY} (401 otherwise). Port 0 picks a free port.
 */
public final class OwletServer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_BODY = 1 << 20;
    private final Map<String, EmbeddedBackend> models = new LinkedHashMap<>();
    private final byte[] apiKey;
    private final HttpServer server;
    private final ExecutorService pool;
    private final long created = System.currentTimeMillis() / 1000;

    private OwletServer(List<EmbeddedBackend> backends, String host, int port, String apiKey) throws IOException {
        if (backends.isEmpty()) throw new IllegalArgumentException("at least one model is required");
        for (EmbeddedBackend b : backends) {
            if (models.putIfAbsent(b.id(), b) != null) throw new IllegalArgumentException("model id '" + b.id() + "' is served twice");
        }
        this.apiKey = apiKey == null ? null : apiKey.getBytes(StandardCharsets.UTF_8);
        this.server = HttpServer.create(new InetSocketAddress(host, port), 0);
        this.pool = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "owlet-serve");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(pool);
        server.createContext("/", this::handle);
    }

    /**
     * Starts serving {@code backends} (the caller keeps ownership and closes them after the server).
     * {@code apiKey} null means no authentication.
     */
    public static OwletServer start(List<EmbeddedBackend> backends, String host, int port, String apiKey) throws IOException {
        OwletServer s = new OwletServer(backends, host, port, apiKey);
        s.server.start();
        return s;
    }

    /** The bound port (the chosen one when started on port 0). */
    public int port() { return server.getAddress().getPort(); }

    /** {@code http://host:port/v1}, the base URL clients use. */
    public String baseUrl() {
        return "http://" + server.getAddress().getHostString() + ":" + port() + "/v1";
    }

    @Override
    public void close() {
        server.stop(0);
        pool.shutdownNow();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getPath();
            if (path.endsWith("/") && path.length() > 1) path = path.substring(0, path.length() - 1);
            if (apiKey != null && !authorized(ex.getRequestHeaders().getFirst("Authorization"))) {
                error(ex, 401, "invalid_request_error", "Incorrect or missing API key; send 'Authorization: Bearer <key>'.");
                return;
            }
            switch (path) {
                case "/v1/models" -> {
                    if (!"GET".equals(ex.getRequestMethod())) {
                        error(ex, 405, "invalid_request_error", "use GET for /v1/models");
                        return;
                    }
                    respond(ex, 200, models());
                }
                case "/v1/chat/completions" -> {
                    if (!"POST".equals(ex.getRequestMethod())) {
                        error(ex, 405, "invalid_request_error", "use POST for /v1/chat/completions");
                        return;
                    }
                    chatCompletions(ex);
                }
                default -> error(ex, 404, "invalid_request_error", "unknown path " + path);
            }
        } catch (RuntimeException e) {
            try {
                error(ex, 500, "server_error", "internal error: " + e);
            } catch (IOException | RuntimeException ignored) {
                // the response was already (partly) sent
            }
        }
    }

    private boolean authorized(String header) {
        if (header == null || !header.startsWith("Bearer ")) return false;
        byte[] got = header.substring("Bearer ".length()).strip().getBytes(StandardCharsets.UTF_8);
        return MessageDigest.isEqual(got, apiKey);
    }

    private ObjectNode models() {
        ObjectNode out = JSON.createObjectNode().put("object", "list");
        ArrayNode data = out.putArray("data");
        for (EmbeddedBackend b : models.values()) {
            data.addObject().put("id", b.id()).put("object", "model").put("created", created).put("owned_by", "owlet");
        }
        return out;
    }

    private void chatCompletions(HttpExchange ex) throws IOException {
        JsonNode body;
        try (InputStream in = ex.getRequestBody()) {
            byte[] bytes = in.readNBytes(MAX_BODY + 1);
            if (bytes.length > MAX_BODY) {
                error(ex, 413, "invalid_request_error", "request body over " + MAX_BODY + " bytes");
                return;
            }
            body = JSON.readTree(bytes);
        } catch (JsonProcessingException e) {
            error(ex, 400, "invalid_request_error", "request body is not valid JSON: " + e.getOriginalMessage());
            return;
        }
        EmbeddedBackend model;
        ChatRequest request;
        SamplingParams params;
        try {
            if (body == null || !body.isObject()) throw new IllegalArgumentException("request body must be a JSON object");
            String id = text(body, "model");
            model = models.get(id);
            if (model == null) {
                error(ex, 400, "invalid_request_error", "model_not_found",
                        "The model '" + id + "' does not exist; served: " + models.keySet());
                return;
            }
            request = messages(body.get("messages"));
            long seed = body.hasNonNull("seed") ? integer(body, "seed") : ThreadLocalRandom.current().nextLong();
            int maxTokens = body.hasNonNull("max_completion_tokens") ? (int) integer(body, "max_completion_tokens")
                    : body.hasNonNull("max_tokens") ? (int) integer(body, "max_tokens") : 64;
            params = new SamplingParams(body.hasNonNull("n") ? (int) integer(body, "n") : 1,
                    number(body, "temperature", 1.0), number(body, "top_p", 1.0), maxTokens, seed);
        } catch (IllegalArgumentException e) {
            error(ex, 400, "invalid_request_error", e.getMessage());
            return;
        }
        List<EmbeddedBackend.Completion> cs;
        try {
            cs = model.complete(request, params);
        } catch (IllegalArgumentException e) {
            error(ex, 400, "invalid_request_error", e.getMessage());
            return;
        }
        ObjectNode out = JSON.createObjectNode();
        out.put("id", "chatcmpl-" + UUID.randomUUID());
        out.put("object", "chat.completion");
        out.put("created", System.currentTimeMillis() / 1000);
        out.put("model", model.id());
        out.put("system_fingerprint", "owlet-" + model.weightsSha256().substring(0, 12));
        ArrayNode choices = out.putArray("choices");
        int completionTokens = 0;
        for (int i = 0; i < cs.size(); i++) {
            EmbeddedBackend.Completion c = cs.get(i);
            ObjectNode ch = choices.addObject();
            ch.put("index", i);
            ch.putObject("message").put("role", "assistant").put("content", c.text());
            ch.putNull("logprobs");
            ch.put("finish_reason", c.finishReason());
            completionTokens += c.completionTokens();
        }
        int promptTokens = cs.get(0).promptTokens();
        out.putObject("usage").put("prompt_tokens", promptTokens).put("completion_tokens", completionTokens)
                .put("total_tokens", promptTokens + completionTokens);
        respond(ex, 200, out);
    }

    private static ChatRequest messages(JsonNode ms) {
        if (ms == null || !ms.isArray() || ms.isEmpty()) throw new IllegalArgumentException("messages: a non-empty array is required");
        List<ChatMessage> out = new ArrayList<>();
        for (int i = 0; i < ms.size(); i++) {
            JsonNode m = ms.get(i);
            JsonNode role = m.get("role");
            JsonNode content = m.get("content");
            if (role == null || !role.isTextual()) throw new IllegalArgumentException("messages[" + i + "].role: a string is required");
            if (content == null || !content.isTextual()) {
                throw new IllegalArgumentException("messages[" + i + "].content: a string is required (content parts are not supported)");
            }
            out.add(new ChatMessage(role.asText(), content.asText()));
        }
        return new ChatRequest(out);
    }

    private static String text(JsonNode body, String key) {
        JsonNode v = body.get(key);
        if (v == null || !v.isTextual()) throw new IllegalArgumentException(key + ": a string is required");
        return v.asText();
    }

    private static long integer(JsonNode body, String key) {
        JsonNode v = body.get(key);
        if (!v.canConvertToLong() || !v.isIntegralNumber()) throw new IllegalArgumentException(key + ": an integer is required");
        return v.asLong();
    }

    private static double number(JsonNode body, String key, double dflt) {
        JsonNode v = body.get(key);
        if (v == null || v.isNull()) return dflt;
        if (!v.isNumber()) throw new IllegalArgumentException(key + ": a number is required");
        return v.asDouble();
    }

    private static void error(HttpExchange ex, int status, String type, String message) throws IOException {
        error(ex, status, type, null, message);
    }

    private static void error(HttpExchange ex, int status, String type, String code, String message) throws IOException {
        ObjectNode out = JSON.createObjectNode();
        ObjectNode e = out.putObject("error");
        e.put("message", message);
        e.put("type", type);
        e.putNull("param");
        if (code == null) e.putNull("code"); else e.put("code", code);
        respond(ex, status, out);
    }

    private static void respond(HttpExchange ex, int status, JsonNode body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream os = ex.getResponseBody()) {
            os.write(bytes);
        }
    }
}
