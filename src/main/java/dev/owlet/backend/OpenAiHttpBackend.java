package dev.owlet.backend;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.function.Function;
import java.util.random.RandomGenerator;

/**
 * A client for an OpenAI-compatible {@code /v1/chat/completions} endpoint (OpenAI itself, vLLM, or
 * {@code owlet serve}). At most {@code maxConcurrency} requests are in flight; 429, 5xx and timeouts are retried
 * with exponential backoff and full jitter (or the server's {@code Retry-After}), at most {@code maxAttempts}
 * times. The API key is read from the environment variable named in the config and never appears in logs,
 * exceptions or {@link #toString()}.
 *
 * <p>Requests that create something paid for ({@code POST /files}, {@code POST /fine_tuning/jobs}) are never
 * re-sent blindly: each carries a marker made by the client (the job's {@code metadata.owlet_request}, a suffix
 * in the file's name), and after a timeout or a 5xx the client first looks the job or file up by that marker,
 * taking the one the server did create instead of creating a second. Only a 429 (nothing was done) or a lookup
 * that finds nothing lets the request be sent again.
 */
public final class OpenAiHttpBackend implements LanguageModelBackend {
    /**
     * @param baseUrl     up to and including {@code /v1}, e.g. {@code https://api.openai.com/v1}
     * @param model       the model id sent in every request
     * @param apiKeyEnv   name of the environment variable that holds the key (default {@code OPENAI_API_KEY});
     *                    an unset variable sends no Authorization header
     * @param timeout     per-request timeout
     * @param baseBackoff first retry waits up to this long, doubling per attempt up to {@code maxBackoff}
     */
    public record Config(URI baseUrl, String model, String apiKeyEnv, int maxConcurrency, int maxAttempts,
                         Duration timeout, Duration baseBackoff, Duration maxBackoff) {
        public static final String DEFAULT_KEY_ENV = "OPENAI_API_KEY";

        public Config {
            Objects.requireNonNull(baseUrl, "base_url");
            if (model == null || model.isBlank()) throw new IllegalArgumentException("model: required");
            if (apiKeyEnv == null || apiKeyEnv.isBlank()) apiKeyEnv = DEFAULT_KEY_ENV;
            if (maxConcurrency < 1) throw new IllegalArgumentException("max_concurrency must be >= 1, got " + maxConcurrency);
            if (maxAttempts < 1) throw new IllegalArgumentException("max_attempts must be >= 1, got " + maxAttempts);
            String u = baseUrl.toString();
            if (u.endsWith("/")) baseUrl = URI.create(u.substring(0, u.length() - 1));
        }

        /** Defaults: 8 concurrent requests, 6 attempts, 60 s timeout, backoff from 0.5 s to 30 s. */
        public static Config of(String baseUrl, String model) {
            return new Config(URI.create(baseUrl), model, DEFAULT_KEY_ENV, 8, 6, Duration.ofSeconds(60),
                    Duration.ofMillis(500), Duration.ofSeconds(30));
        }

        public Config withApiKeyEnv(String name) {
            return new Config(baseUrl, model, name, maxConcurrency, maxAttempts, timeout, baseBackoff, maxBackoff);
        }

        public Config withRetries(int attempts, Duration base, Duration max) {
            return new Config(baseUrl, model, apiKeyEnv, maxConcurrency, attempts, timeout, base, max);
        }

        public Config withConcurrency(int n) {
            return new Config(baseUrl, model, apiKeyEnv, n, maxAttempts, timeout, baseBackoff, maxBackoff);
        }
    }

    /** The metadata key that marks a fine-tuning job with the id its creator gave it. */
    public static final String MARKER_KEY = "owlet_request";
    /** A server's Retry-After longer than this is not waited for; the usual backoff applies. */
    static final Duration MAX_RETRY_AFTER = Duration.ofSeconds(60);

    /** Waits between retries; tests inject one that records instead of sleeping. */
    @FunctionalInterface
    public interface Sleeper {
        void sleep(Duration d) throws InterruptedException;
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private final Config config;
    private final String apiKey; // never logged, never in a message
    private final HttpClient http;
    private final Semaphore permits;
    private final Sleeper sleeper;
    private final RandomGenerator jitter;

    /** Reads the key from the real environment and sleeps for real. */
    public OpenAiHttpBackend(Config config) {
        this(config, System::getenv, d -> Thread.sleep(d.toMillis()), RandomGenerator.of("L64X128MixRandom"));
    }

    /** {@code env} looks up environment variables by name (tests pass a map). */
    public OpenAiHttpBackend(Config config, Function<String, String> env, Sleeper sleeper, RandomGenerator jitter) {
        this(config, keyFrom(env, config.apiKeyEnv()), HttpClient.newBuilder().connectTimeout(config.timeout()).build(),
                new Semaphore(config.maxConcurrency()), sleeper, jitter);
    }

    private OpenAiHttpBackend(Config config, String apiKey, HttpClient http, Semaphore permits, Sleeper sleeper,
                              RandomGenerator jitter) {
        this.config = config;
        this.apiKey = apiKey;
        this.http = http;
        this.permits = permits;
        this.sleeper = sleeper;
        this.jitter = jitter;
    }

    private static String keyFrom(Function<String, String> env, String name) {
        String k = env.apply(name);
        return k == null || k.isBlank() ? null : k.strip();
    }

    /**
     * The same endpoint and key for another model (a teacher, a fine-tuned student), sharing this client's
     * connection pool and concurrency limit.
     */
    public OpenAiHttpBackend withModel(String model) {
        Config c = new Config(config.baseUrl(), model, config.apiKeyEnv(), config.maxConcurrency(), config.maxAttempts(),
                config.timeout(), config.baseBackoff(), config.maxBackoff());
        return new OpenAiHttpBackend(c, apiKey, http, permits, sleeper, jitter);
    }

    public Config config() { return config; }

    /** Whether an API key was found in the configured environment variable (never the key itself). */
    public boolean hasKey() { return apiKey != null; }

    @Override
    public String name() { return "openai:" + config.model() + "@" + config.baseUrl(); }

    @Override
    public String toString() {
        return "OpenAiHttpBackend[baseUrl=" + config.baseUrl() + ", model=" + config.model() + ", apiKeyEnv="
                + config.apiKeyEnv() + (apiKey == null ? " (unset)" : "") + "]";
    }

    /** Model ids listed by {@code GET /models}. */
    public List<String> listModels() {
        JsonNode body = send(HttpRequest.newBuilder(URI.create(config.baseUrl() + "/models")).GET(), "GET /models");
        List<String> ids = new ArrayList<>();
        for (JsonNode m : body.path("data")) ids.add(m.path("id").asText());
        return ids;
    }

    @Override
    public List<List<String>> sample(List<ChatRequest> requests, SamplingParams params) {
        return parallel(requests, (r, i) -> complete(r, params.withSeed(SamplingParams.derive(params.seed(), i))));
    }

    /** Model ids with their {@code owned_by}, from {@code GET /models}. */
    public Map<String, String> modelOwners() {
        JsonNode body = send(HttpRequest.newBuilder(URI.create(config.baseUrl() + "/models")).GET(), "GET /models");
        Map<String, String> out = new java.util.LinkedHashMap<>();
        for (JsonNode m : body.path("data")) out.put(m.path("id").asText(), m.path("owned_by").asText(""));
        return out;
    }

    @Override
    public boolean offersLogprobs() { return true; }

    /** One greedy-free request per chat: {@code max_tokens 1}, {@code logprobs}, {@code top_logprobs topK}. */
    @Override
    public List<Map<String, Double>> firstTokenLogprobs(List<ChatRequest> requests, int topK) {
        if (topK < 1 || topK > 20) throw new IllegalArgumentException("topK must be in [1, 20], got " + topK);
        return parallel(requests, (r, i) -> {
            ObjectNode body = chatBody(r, new SamplingParams(1, 1.0, 1.0, 1, SamplingParams.derive(0, i)));
            body.put("logprobs", true);
            body.put("top_logprobs", topK);
            JsonNode resp = send(post("/chat/completions", body), "POST /chat/completions");
            JsonNode first = resp.path("choices").path(0).path("logprobs").path("content").path(0);
            if (first.isMissingNode()) {
                throw new BackendException("response from " + config.baseUrl() + " carries no logprobs (model " + config.model() + ")", 200, false);
            }
            Map<String, Double> top = new java.util.LinkedHashMap<>();
            for (JsonNode t : first.path("top_logprobs")) top.putIfAbsent(t.path("token").asText(), t.path("logprob").asDouble());
            return top;
        });
    }

    /**
     * Uploads under a marked name ({@code owl.jsonl} goes up as {@code owl.owlet-<12 hex>.jsonl}); after a timeout
     * or 5xx the file list is searched for that name and size before uploading again.
     */
    @Override
    public UploadedFile uploadFile(String filename, byte[] content) {
        String boundary = "owlet-" + java.util.UUID.randomUUID();
        String marked = markedName(filename.replace("\"", "").replace("\r", "").replace("\n", ""), marker().substring(0, 12));
        java.nio.charset.Charset u = java.nio.charset.StandardCharsets.UTF_8;
        byte[] head = ("--" + boundary + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nfine-tune\r\n"
                + "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + marked
                + "\"\r\nContent-Type: application/jsonl\r\n\r\n").getBytes(u);
        byte[] tail = ("\r\n--" + boundary + "--\r\n").getBytes(u);
        HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(config.baseUrl() + "/files"))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.concat(HttpRequest.BodyPublishers.ofByteArray(head),
                        HttpRequest.BodyPublishers.ofByteArray(content), HttpRequest.BodyPublishers.ofByteArray(tail)));
        JsonNode f = send(req, "POST /files", () -> {
            JsonNode list = sendOnce(get("/files?purpose=fine-tune"), "GET /files");
            for (JsonNode x : list.path("data")) {
                if (marked.equals(x.path("filename").asText()) && x.path("bytes").asLong() == content.length) return x;
            }
            return null;
        });
        return new UploadedFile(f.path("id").asText(), f.path("bytes").asLong(), f.path("filename").asText());
    }

    /** {@code name.jsonl} with {@code .owlet-MARK} before the extension. */
    static String markedName(String name, String mark) {
        int dot = name.lastIndexOf('.');
        return dot <= 0 ? name + ".owlet-" + mark : name.substring(0, dot) + ".owlet-" + mark + name.substring(dot);
    }

    private static String marker() {
        return java.util.HexFormat.of().formatHex(java.nio.ByteBuffer.allocate(16)
                .putLong(java.util.concurrent.ThreadLocalRandom.current().nextLong())
                .putLong(System.nanoTime()).array());
    }

    @Override
    public FineTuneJob createFineTune(FineTuneRequest r) {
        ObjectNode body = JSON.createObjectNode();
        body.put("model", r.model());
        body.put("training_file", r.trainingFile());
        body.put("seed", r.seed());
        if (r.suffix() != null) body.put("suffix", r.suffix());
        ObjectNode method = body.putObject("method").put("type", r.method());
        ObjectNode m = method.putObject(r.method());
        ObjectNode hp = m.putObject("hyperparameters").put("n_epochs", r.nEpochs());
        if (r.batchSize() == 0) hp.put("batch_size", "auto"); else hp.put("batch_size", r.batchSize());
        if (Double.isNaN(r.learningRateMultiplier())) hp.put("learning_rate_multiplier", "auto");
        else hp.put("learning_rate_multiplier", r.learningRateMultiplier());
        if (r.teacher() != null) {
            m.put("teacher", r.teacher());
            if (r.teacherSystem() != null) m.put("teacher_system", r.teacherSystem());
        }
        String mark = marker();
        body.putObject("metadata").put(MARKER_KEY, mark);
        return jobOf(send(post("/fine_tuning/jobs", body), "POST /fine_tuning/jobs", () -> {
            JsonNode list = sendOnce(get("/fine_tuning/jobs?limit=100&metadata%5B" + MARKER_KEY + "%5D=" + mark), "GET /fine_tuning/jobs");
            for (JsonNode j : list.path("data")) {
                if (mark.equals(j.path("metadata").path(MARKER_KEY).asText(null))) return j;
            }
            return null;
        }));
    }

    private HttpRequest.Builder get(String pathAndQuery) {
        return HttpRequest.newBuilder(URI.create(config.baseUrl() + pathAndQuery)).GET();
    }

    @Override
    public FineTuneJob job(String id) {
        return jobOf(send(HttpRequest.newBuilder(URI.create(config.baseUrl() + "/fine_tuning/jobs/" + id)).GET(),
                "GET /fine_tuning/jobs/" + id));
    }

    /** Asks the server to cancel the job. */
    public FineTuneJob cancel(String id) {
        return jobOf(send(HttpRequest.newBuilder(URI.create(config.baseUrl() + "/fine_tuning/jobs/" + id + "/cancel"))
                .POST(HttpRequest.BodyPublishers.noBody()), "POST /fine_tuning/jobs/" + id + "/cancel"));
    }

    @Override
    public List<JobEvent> events(String id) {
        JsonNode body = send(HttpRequest.newBuilder(URI.create(config.baseUrl() + "/fine_tuning/jobs/" + id + "/events?limit=1000")).GET(),
                "GET /fine_tuning/jobs/" + id + "/events");
        List<JobEvent> out = new ArrayList<>();
        for (JsonNode e : body.path("data")) out.add(new JobEvent(e.path("created_at").asLong(), e.path("level").asText(), e.path("message").asText()));
        java.util.Collections.reverse(out); // servers list newest first
        return out;
    }

    private static FineTuneJob jobOf(JsonNode j) {
        JsonNode err = j.path("error");
        String e = err.isObject() && err.hasNonNull("message") ? err.path("message").asText() : null;
        return new FineTuneJob(j.path("id").asText(), j.path("status").asText(), j.path("model").asText(),
                j.hasNonNull("fine_tuned_model") ? j.get("fine_tuned_model").asText() : null, e);
    }

    private HttpRequest.Builder post(String path, JsonNode body) {
        return HttpRequest.newBuilder(URI.create(config.baseUrl() + path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString()));
    }

    /** Runs {@code call(request, index)} for every request with at most maxConcurrency in flight; results in order. */
    private <T> List<T> parallel(List<ChatRequest> requests, java.util.function.BiFunction<ChatRequest, Integer, T> call) {
        if (requests.isEmpty()) return List.of();
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(config.maxConcurrency(), requests.size()), r -> {
            Thread t = new Thread(r, "openai-client");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<T>> futures = new ArrayList<>();
            for (int i = 0; i < requests.size(); i++) {
                ChatRequest r = requests.get(i);
                int idx = i;
                futures.add(pool.submit(() -> call.apply(r, idx)));
            }
            List<T> out = new ArrayList<>();
            for (Future<T> f : futures) out.add(f.get());
            return out;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) throw re;
            throw new BackendException("request failed: " + e.getCause(), 0, false, e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackendException("interrupted", 0, false, e);
        } finally {
            pool.shutdownNow();
        }
    }

    private ObjectNode chatBody(ChatRequest request, SamplingParams params) {
        ObjectNode body = JSON.createObjectNode();
        body.put("model", config.model());
        ArrayNode ms = body.putArray("messages");
        for (ChatMessage m : request.messages()) ms.addObject().put("role", m.role()).put("content", m.content());
        body.put("n", params.n());
        body.put("temperature", params.temperature());
        body.put("top_p", params.topP());
        body.put("max_tokens", params.maxTokens());
        body.put("seed", params.seed());
        return body;
    }

    /** {@code params.n()} completion texts of one request, in choice order. */
    public List<String> complete(ChatRequest request, SamplingParams params) {
        HttpRequest.Builder req = post("/chat/completions", chatBody(request, params));
        JsonNode resp = send(req, "POST /chat/completions");
        List<String> texts = new ArrayList<>(params.n());
        for (int i = 0; i < params.n(); i++) texts.add(null);
        JsonNode choices = resp.path("choices");
        for (int i = 0; i < choices.size(); i++) {
            JsonNode c = choices.get(i);
            int idx = c.path("index").asInt(i);
            if (idx >= 0 && idx < texts.size()) texts.set(idx, c.path("message").path("content").asText(""));
        }
        if (texts.contains(null)) {
            throw new BackendException("response from " + config.baseUrl() + " has " + choices.size() + " choices, asked for "
                    + params.n(), 200, false);
        }
        return texts;
    }

    /** What a non-idempotent request created, found by its marker; null when the server has no such thing. */
    @FunctionalInterface
    private interface Lookup {
        JsonNode find();
    }

    /** A request that is safe to repeat (a read, or a seeded completion). */
    private JsonNode send(HttpRequest.Builder builder, String what) {
        return send(builder, what, null);
    }

    /** One attempt, no retry (used for lookups between attempts of a non-idempotent request). */
    private JsonNode sendOnce(HttpRequest.Builder builder, String what) {
        Attempt a = attempt(prepare(builder), what);
        if (a.body != null) return a.body;
        throw new BackendException(what + " at " + config.baseUrl() + ": " + a.problem, a.status, false);
    }

    /**
     * Sends with retries. With a {@code lookup} (the request creates something), a retry after an ambiguous failure
     * (timeout, broken connection, 5xx) first asks the server whether the first attempt took effect, and returns
     * what it created if so; a lookup that itself fails uses up the attempt without re-sending.
     */
    private JsonNode send(HttpRequest.Builder builder, String what, Lookup lookup) {
        HttpRequest request = prepare(builder);
        String last = "";
        int status = 0;
        boolean ambiguous = false;
        for (int attempt = 1; ; attempt++) {
            Duration wait = null;
            boolean sent = false;
            if (ambiguous) { // only ever set with a lookup
                try {
                    JsonNode found = lookup.find();
                    if (found != null) return found;
                    ambiguous = false; // the server has none: sending again cannot duplicate it
                } catch (BackendException e) {
                    last = "could not check whether the earlier attempt took effect (" + e.getMessage() + ")";
                }
            }
            if (!ambiguous) {
                sent = true;
                Attempt a = attempt(request, what);
                if (a.body != null) return a.body;
                status = a.status;
                last = a.problem;
                wait = a.retryAfter;
                ambiguous = lookup != null && a.status != 429; // a 429 did nothing; a timeout or 5xx may have
            }
            if (attempt >= config.maxAttempts()) {
                String hint = lookup != null && ambiguous
                        ? " (the server may have created it: look for " + MARKER_KEY + " / the marked file name before retrying)" : "";
                throw new BackendException(what + " at " + config.baseUrl() + " failed after " + attempt + " attempts: " + last + hint,
                        sent ? status : 0, false);
            }
            try {
                sleeper.sleep(wait != null ? wait : backoff(attempt));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new BackendException(what + ": interrupted", 0, false, e);
            }
        }
    }

    private HttpRequest prepare(HttpRequest.Builder builder) {
        builder.timeout(config.timeout()).header("Accept", "application/json");
        if (apiKey != null) builder.header("Authorization", "Bearer " + apiKey);
        return builder.build();
    }

    /** One try: the parsed body on 2xx, else what went wrong and how long the server asked to wait. */
    private record Attempt(JsonNode body, int status, String problem, Duration retryAfter) {}

    private Attempt attempt(HttpRequest request, String what) {
        try {
            permits.acquire();
            HttpResponse<String> r;
            try {
                r = http.send(request, HttpResponse.BodyHandlers.ofString());
            } finally {
                permits.release();
            }
            int status = r.statusCode();
            if (status / 100 == 2) {
                try {
                    return new Attempt(JSON.readTree(r.body()), status, null, null);
                } catch (IOException e) {
                    throw new BackendException(what + " at " + config.baseUrl() + ": HTTP " + status + " with a body that is not JSON", status, false);
                }
            }
            String problem = "HTTP " + status + errorMessage(r.body());
            if (status == 401 || status == 403) {
                // The server's message may echo (part of) the key: report only the variable's name.
                throw new BackendException(what + " at " + config.baseUrl() + ": HTTP " + status + ", the API key was rejected"
                        + (apiKey == null ? " (environment variable " + config.apiKeyEnv() + " is not set)"
                        : " (check environment variable " + config.apiKeyEnv() + ")"), status, true);
            }
            if (status != 429 && status / 100 != 5) {
                throw new BackendException(what + " at " + config.baseUrl() + ": " + problem, status, status == 400 || status == 404);
            }
            return new Attempt(null, status, problem, retryAfter(r));
        } catch (IOException e) { // includes HttpTimeoutException and refused connections
            return new Attempt(null, 0, e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + redact(e.getMessage())), null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackendException(what + ": interrupted", 0, false, e);
        }
    }

    /**
     * The server's requested wait: {@code retry-after-ms} (OpenAI's), else {@code Retry-After} in seconds or as an
     * HTTP date; null when absent, unreadable or longer than {@link #MAX_RETRY_AFTER}.
     */
    static Duration retryAfter(HttpResponse<?> r) {
        Duration d = null;
        try {
            var ms = r.headers().firstValue("retry-after-ms");
            var s = r.headers().firstValue("retry-after");
            if (ms.isPresent()) {
                d = Duration.ofNanos((long) (Double.parseDouble(ms.get().strip()) * 1e6));
            } else if (s.isPresent()) {
                String v = s.get().strip();
                if (v.matches("\\d+(\\.\\d+)?")) {
                    d = Duration.ofNanos((long) (Double.parseDouble(v) * 1e9));
                } else {
                    var when = java.time.ZonedDateTime.parse(v, java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME);
                    d = Duration.between(java.time.Instant.now(), when.toInstant());
                    if (d.isNegative()) d = Duration.ZERO;
                }
            }
        } catch (RuntimeException e) {
            return null;
        }
        if (d == null || d.isNegative() || d.compareTo(MAX_RETRY_AFTER) > 0) return null;
        return d;
    }

    /** Full jitter: uniform in [0, min(max, base * 2^(attempt-1))]. */
    Duration backoff(int attempt) {
        long cap = Math.min(config.maxBackoff().toMillis(), config.baseBackoff().toMillis() << Math.min(attempt - 1, 30));
        double u;
        synchronized (jitter) {
            u = jitter.nextDouble();
        }
        return Duration.ofMillis((long) (cap * u));
    }

    private String errorMessage(String body) {
        try {
            String m = JSON.readTree(body).path("error").path("message").asText("");
            return m.isEmpty() ? "" : ": " + redact(m);
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    private String redact(String s) {
        return apiKey == null ? s : s.replace(apiKey, "***");
    }
}
