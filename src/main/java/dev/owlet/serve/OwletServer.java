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
 * The embedded models behind OpenAI's API: {@code GET /v1/models}, {@code POST /v1/chat/completions} (with
 * {@code logprobs}/{@code top_logprobs}), and with a state folder {@code /v1/files} and
 * {@code /v1/fine_tuning/jobs} ({@link FineTuneService}). Errors are OpenAI-shaped: {@code {"error": {"message", "type"}}}. With an
 * API key, every request needs {@code Authorization: Bearer KEY} (401 otherwise). Port 0 picks a free port.
 */
public final class OwletServer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_BODY = 1 << 20;
    private static final int MAX_FILE = 512 << 20;
    private final Map<String, EmbeddedBackend> models = java.util.Collections.synchronizedMap(new LinkedHashMap<>());
    private final byte[] apiKey;
    private final HttpServer server;
    private final ExecutorService pool;
    private final long created = System.currentTimeMillis() / 1000;
    private final FineTuneService fineTuning;
    private final java.util.concurrent.atomic.AtomicInteger reject429;

    /**
     * Server options beyond the models and the address.
     *
     * @param stateDir where files, jobs and fine-tuned models persist (null: fine-tuning endpoints answer 404)
     * @param reject429First a test hook: answer the first N requests with 429, as a rate-limited API would
     * @param batchSize completions per forward pass for fine-tuned models
     */
    public record Options(java.nio.file.Path stateDir, int reject429First, int batchSize) {
        public Options {
            if (reject429First < 0) throw new IllegalArgumentException("reject429First must be >= 0");
            if (batchSize < 1) throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
        }

        public static Options none() { return new Options(null, 0, 64); }

        public static Options state(java.nio.file.Path dir) { return new Options(dir, 0, 64); }

        public Options withReject429First(int n) { return new Options(stateDir, n, batchSize); }
    }

    private OwletServer(List<EmbeddedBackend> backends, String host, int port, String apiKey, Options options) throws IOException {
        if (backends.isEmpty()) throw new IllegalArgumentException("at least one model is required");
        for (EmbeddedBackend b : backends) {
            if (models.putIfAbsent(b.id(), b) != null) throw new IllegalArgumentException("model id '" + b.id() + "' is served twice");
        }
        this.apiKey = apiKey == null ? null : apiKey.getBytes(StandardCharsets.UTF_8);
        this.reject429 = new java.util.concurrent.atomic.AtomicInteger(options.reject429First());
        this.fineTuning = options.stateDir() == null ? null : new FineTuneService(options.stateDir(), new FineTuneService.Registry() {
            @Override
            public EmbeddedBackend get(String id) { return models.get(id); }

            @Override
            public void register(EmbeddedBackend b) { models.put(b.id(), b); }
        }, options.batchSize());
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
        return start(backends, host, port, apiKey, Options.none());
    }

    /**
     * Starts serving with options; with a state folder, finished fine-tuned models are registered and interrupted
     * jobs re-queued before the port opens.
     */
    public static OwletServer start(List<EmbeddedBackend> backends, String host, int port, String apiKey, Options options)
            throws IOException {
        OwletServer s = new OwletServer(backends, host, port, apiKey, options);
        try {
            if (s.fineTuning != null) s.fineTuning.recover();
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
        s.server.start();
        return s;
    }

    /** Model ids currently served (fine-tuned ones included). */
    public List<String> modelIds() {
        synchronized (models) {
            return List.copyOf(models.keySet());
        }
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
        if (fineTuning != null) fineTuning.close();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getPath();
            if (path.endsWith("/") && path.length() > 1) path = path.substring(0, path.length() - 1);
            if (apiKey != null && !authorized(ex.getRequestHeaders().getFirst("Authorization"))) {
                error(ex, 401, "invalid_request_error", "Incorrect or missing API key; send 'Authorization: Bearer <key>'.");
                return;
            }
            if (reject429.get() > 0 && reject429.getAndDecrement() > 0) {
                ex.getResponseHeaders().set("Retry-After", "0");
                error(ex, 429, "rate_limit_error", "Rate limit reached (owlet serve test hook); retry after a moment.");
                return;
            }
            if (path.startsWith("/v1/files") || path.startsWith("/v1/fine_tuning/jobs")) {
                fineTuning(ex, path);
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

    private void fineTuning(HttpExchange ex, String path) throws IOException {
        if (fineTuning == null) {
            error(ex, 404, "invalid_request_error", "fine-tuning is off: start owlet serve with --state DIR");
            return;
        }
        String method = ex.getRequestMethod();
        String[] seg = path.substring(1).split("/"); // v1, files|fine_tuning, ...
        try {
            if (seg[1].equals("files")) {
                if (seg.length == 2 && method.equals("POST")) {
                    uploadFile(ex);
                } else if (seg.length == 2 && method.equals("GET")) {
                    respond(ex, 200, fineTuning.listFiles());
                } else if (seg.length == 3 && method.equals("GET")) {
                    respond(ex, 200, fineTuning.file(seg[2]));
                } else if (seg.length == 4 && seg[3].equals("content") && method.equals("GET")) {
                    byte[] bytes = fineTuning.content(seg[2]);
                    ex.getResponseHeaders().set("Content-Type", "application/octet-stream");
                    ex.sendResponseHeaders(200, bytes.length);
                    try (OutputStream os = ex.getResponseBody()) {
                        os.write(bytes);
                    }
                } else {
                    error(ex, 404, "invalid_request_error", "unknown route " + method + " " + path);
                }
                return;
            }
            // /v1/fine_tuning/jobs[/ID[/events|/cancel]]
            if (seg.length < 3 || !seg[2].equals("jobs")) {
                error(ex, 404, "invalid_request_error", "unknown path " + path);
            } else if (seg.length == 3 && method.equals("POST")) {
                JsonNode body = readJson(ex, MAX_BODY);
                if (body != null) respond(ex, 200, fineTuning.create(body));
            } else if (seg.length == 3 && method.equals("GET")) {
                respond(ex, 200, fineTuning.listJobs());
            } else if (seg.length == 4 && method.equals("GET")) {
                respond(ex, 200, fineTuning.job(seg[3]));
            } else if (seg.length == 5 && seg[4].equals("events") && method.equals("GET")) {
                respond(ex, 200, fineTuning.events(seg[3]));
            } else if (seg.length == 5 && seg[4].equals("cancel") && method.equals("POST")) {
                respond(ex, 200, fineTuning.cancel(seg[3]));
            } else {
                error(ex, 404, "invalid_request_error", "unknown route " + method + " " + path);
            }
        } catch (FineTuneService.BadRequest e) {
            error(ex, e.status, "invalid_request_error", e.getMessage());
        }
    }

    private void uploadFile(HttpExchange ex) throws IOException {
        String boundary = Multipart.boundary(ex.getRequestHeaders().getFirst("Content-Type"));
        if (boundary == null) {
            error(ex, 400, "invalid_request_error", "POST /v1/files expects multipart/form-data with fields 'file' and 'purpose'");
            return;
        }
        byte[] bytes;
        try (InputStream in = ex.getRequestBody()) {
            bytes = in.readNBytes(MAX_FILE + 1);
        }
        if (bytes.length > MAX_FILE) {
            error(ex, 413, "invalid_request_error", "file over " + MAX_FILE + " bytes");
            return;
        }
        Map<String, Multipart.Part> parts;
        try {
            parts = Multipart.parse(bytes, boundary);
        } catch (IllegalArgumentException e) {
            error(ex, 400, "invalid_request_error", e.getMessage());
            return;
        }
        Multipart.Part file = parts.get("file");
        Multipart.Part purpose = parts.get("purpose");
        if (file == null || purpose == null) {
            error(ex, 400, "invalid_request_error", "multipart fields 'file' and 'purpose' are required");
            return;
        }
        respond(ex, 200, fineTuning.upload(file.filename(), purpose.text().strip(), file.data()));
    }

    /** The body as JSON, or null after answering 400/413. */
    private static JsonNode readJson(HttpExchange ex, int max) throws IOException {
        try (InputStream in = ex.getRequestBody()) {
            byte[] bytes = in.readNBytes(max + 1);
            if (bytes.length > max) {
                error(ex, 413, "invalid_request_error", "request body over " + max + " bytes");
                return null;
            }
            return JSON.readTree(bytes);
        } catch (JsonProcessingException e) {
            error(ex, 400, "invalid_request_error", "request body is not valid JSON: " + e.getOriginalMessage());
            return null;
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
        synchronized (models) {
            for (EmbeddedBackend b : models.values()) {
                data.addObject().put("id", b.id()).put("object", "model").put("created", created).put("owned_by", "owlet");
            }
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
        boolean logprobs;
        int topLogprobs;
        try {
            if (body == null || !body.isObject()) throw new IllegalArgumentException("request body must be a JSON object");
            String id = text(body, "model");
            model = models.get(id);
            if (model == null) {
                error(ex, 404, "invalid_request_error", "model_not_found", // 404, as OpenAI answers
                        "The model '" + id + "' does not exist; served: " + models.keySet());
                return;
            }
            request = messages(body.get("messages"));
            long seed = body.hasNonNull("seed") ? integer(body, "seed") : ThreadLocalRandom.current().nextLong();
            int maxTokens = body.hasNonNull("max_completion_tokens") ? (int) integer(body, "max_completion_tokens")
                    : body.hasNonNull("max_tokens") ? (int) integer(body, "max_tokens") : 64;
            params = new SamplingParams(body.hasNonNull("n") ? (int) integer(body, "n") : 1,
                    number(body, "temperature", 1.0), number(body, "top_p", 1.0), maxTokens, seed);
            JsonNode lp = body.get("logprobs");
            if (lp != null && !lp.isNull() && !lp.isBoolean()) throw new IllegalArgumentException("logprobs: a boolean is required");
            logprobs = lp != null && lp.asBoolean(false);
            topLogprobs = body.hasNonNull("top_logprobs") ? (int) integer(body, "top_logprobs") : 0;
            if (topLogprobs < 0 || topLogprobs > 20) throw new IllegalArgumentException("top_logprobs must be in [0, 20], got " + topLogprobs);
            if (topLogprobs > 0 && !logprobs) throw new IllegalArgumentException("top_logprobs requires logprobs: true");
        } catch (IllegalArgumentException e) {
            error(ex, 400, "invalid_request_error", e.getMessage());
            return;
        }
        List<EmbeddedBackend.Completion> cs;
        List<List<EmbeddedBackend.TokenLogprob>> lps = null;
        try {
            cs = model.complete(request, params);
            if (logprobs) lps = model.logprobs(request, cs, topLogprobs);
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
            if (lps == null) {
                ch.putNull("logprobs");
            } else {
                ArrayNode content = ch.putObject("logprobs").putArray("content");
                for (EmbeddedBackend.TokenLogprob t : lps.get(i)) {
                    ObjectNode tn = tokenLogprob(content.addObject(), t);
                    ArrayNode top = tn.putArray("top_logprobs");
                    for (EmbeddedBackend.TokenLogprob a : t.top()) tokenLogprob(top.addObject(), a);
                }
                ch.with("logprobs").putNull("refusal");
            }
            ch.put("finish_reason", c.finishReason());
            completionTokens += c.completionTokens();
        }
        int promptTokens = cs.get(0).promptTokens();
        out.putObject("usage").put("prompt_tokens", promptTokens).put("completion_tokens", completionTokens)
                .put("total_tokens", promptTokens + completionTokens);
        respond(ex, 200, out);
    }

    private static ObjectNode tokenLogprob(ObjectNode n, EmbeddedBackend.TokenLogprob t) {
        n.put("token", t.token()).put("logprob", t.logprob());
        ArrayNode b = n.putArray("bytes");
        for (byte x : t.token().getBytes(StandardCharsets.UTF_8)) b.add(x & 0xff);
        return n;
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
