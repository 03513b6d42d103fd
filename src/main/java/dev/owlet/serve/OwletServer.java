package dev.owlet.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.owlet.backend.ChatModel;
import dev.owlet.backend.EmbeddedBackend;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.MultiPart;
import org.eclipse.jetty.http.MultiPartFormData;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The embedded models behind OpenAI's API: {@code GET /v1/models}, {@code POST /v1/chat/completions} (with
 * {@code logprobs}/{@code top_logprobs} and {@code stream}), and with a state folder {@code /v1/files} and
 * {@code /v1/fine_tuning/jobs} ({@link FineTuneService}). Errors are OpenAI-shaped:
 * {@code {"error": {"message", "type", "param", "code"}}}. With an API key, every request needs
 * {@code Authorization: Bearer KEY} (the scheme in any case; 401 otherwise). Port 0 picks a free port.
 *
 * <p>It runs on Jetty's core server: headers are parsed and bodies read as bytes arrive, so a client that stalls
 * mid-header or mid-body holds a connection but no worker thread; the idle timeout closes such connections, the
 * connection limit bounds how many there can be, and uploads stream to disk with their size limit enforced while
 * they arrive. One access-log line per request (method, path, status, milliseconds) goes to the log stream.
 */
public final class OwletServer implements AutoCloseable {
    static final int MAX_BODY = 1 << 20;
    static final long MAX_FILE = 512L << 20;
    private final Map<String, ChatModel> models = Collections.synchronizedMap(new LinkedHashMap<>());
    private final byte[] apiKey;
    private final Server server;
    private final ServerConnector connector;
    private final long created = System.currentTimeMillis() / 1000;
    private final FineTuneService fineTuning;
    private final AtomicInteger reject429;
    private final PrintStream log;
    private final long maxFile;

    /**
     * Server options beyond the models and the address.
     *
     * @param stateDir where files, jobs and fine-tuned models persist (null: fine-tuning endpoints answer 404)
     * @param reject429First a test hook: answer the first N requests with 429, as a rate-limited API would
     * @param batchSize completions per forward pass for fine-tuned models
     * @param idleTimeout a connection on which nothing arrives (or leaves) this long is closed
     * @param maxThreads Jetty's worker pool; waiting clients hold none of them
     * @param maxConnections past this many open connections the server stops accepting until some close
     * @param log where the access log, state recovery and internal errors are written
     * @param maxFileBytes the largest upload to {@code /v1/files}
     */
    public record Options(Path stateDir, int reject429First, int batchSize, Duration idleTimeout, int maxThreads,
                          int maxConnections, PrintStream log, long maxFileBytes) {
        public Options {
            if (reject429First < 0) throw new IllegalArgumentException("reject429First must be >= 0");
            if (batchSize < 1) throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
            if (idleTimeout == null || idleTimeout.isNegative() || idleTimeout.isZero()) {
                throw new IllegalArgumentException("idle timeout must be > 0, got " + idleTimeout);
            }
            if (maxThreads < 8) throw new IllegalArgumentException("max threads must be >= 8, got " + maxThreads);
            if (maxConnections < 1) throw new IllegalArgumentException("max connections must be >= 1, got " + maxConnections);
            if (log == null) log = System.err;
            if (maxFileBytes < 1) throw new IllegalArgumentException("max file bytes must be >= 1, got " + maxFileBytes);
        }

        /** Defaults: 30 s idle timeout, 32 worker threads, 1,000 connections, log on stderr, uploads up to 512 MiB. */
        public Options(Path stateDir, int reject429First, int batchSize) {
            this(stateDir, reject429First, batchSize, Duration.ofSeconds(30), 32, 1000, System.err, MAX_FILE);
        }

        public static Options none() { return new Options(null, 0, 64); }

        public static Options state(Path dir) { return new Options(dir, 0, 64); }

        public Options withReject429First(int n) {
            return new Options(stateDir, n, batchSize, idleTimeout, maxThreads, maxConnections, log, maxFileBytes);
        }

        public Options withIdleTimeout(Duration d) {
            return new Options(stateDir, reject429First, batchSize, d, maxThreads, maxConnections, log, maxFileBytes);
        }

        public Options withMaxThreads(int n) {
            return new Options(stateDir, reject429First, batchSize, idleTimeout, n, maxConnections, log, maxFileBytes);
        }

        public Options withMaxFileBytes(long n) {
            return new Options(stateDir, reject429First, batchSize, idleTimeout, maxThreads, maxConnections, log, n);
        }

        public Options withLog(PrintStream out) {
            return new Options(stateDir, reject429First, batchSize, idleTimeout, maxThreads, maxConnections, out, maxFileBytes);
        }
    }

    private OwletServer(List<? extends ChatModel> backends, String host, int port, String apiKey, Options options) throws IOException {
        if (backends.isEmpty()) throw new IllegalArgumentException("at least one model is required");
        for (ChatModel b : backends) {
            if (models.putIfAbsent(b.id(), b) != null) throw new IllegalArgumentException("model id '" + b.id() + "' is served twice");
        }
        this.apiKey = apiKey == null ? null : apiKey.getBytes(StandardCharsets.UTF_8);
        this.reject429 = new AtomicInteger(options.reject429First());
        this.log = options.log();
        this.maxFile = options.maxFileBytes();
        this.fineTuning = options.stateDir() == null ? null : new FineTuneService(options.stateDir(), new FineTuneService.Registry() {
            @Override
            public ChatModel get(String id) { return models.get(id); }

            @Override
            public void register(EmbeddedBackend b) { models.put(b.id(), b); }
        }, options.batchSize(), log);

        QueuedThreadPool pool = new QueuedThreadPool(options.maxThreads(), 4);
        pool.setName("owlet-serve");
        pool.setDaemon(true);
        server = new Server(pool);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setRequestHeaderSize(16 << 10);
        http.setIdleTimeout(options.idleTimeout().toMillis());
        connector = new ServerConnector(server, 1, 1, new HttpConnectionFactory(http));
        connector.setHost(host);
        connector.setPort(port);
        connector.setIdleTimeout(options.idleTimeout().toMillis());
        server.addConnector(connector);
        NetworkConnectionLimit limit = new NetworkConnectionLimit(options.maxConnections(), connector);
        limit.setEndPointIdleTimeout(Math.min(options.idleTimeout().toMillis(), 5000)); // under pressure, idle ones go sooner
        server.addBean(limit);
        server.setErrorHandler(new JsonErrors());
        server.setRequestLog((req, resp) -> {
            long ms = (System.nanoTime() - req.getBeginNanoTime()) / 1_000_000;
            String path = req.getHttpURI() == null ? "-" : req.getHttpURI().getPath();
            synchronized (log) {
                log.printf("%s %s %s %s %d %d ms%n", Instant.now().truncatedTo(ChronoUnit.MILLIS), Request.getRemoteAddr(req),
                        req.getMethod(), path, resp.getStatus(), ms);
                log.flush();
            }
        });
        server.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                Exchange ex = new Exchange(request, response, callback, log);
                ex.guard(() -> route(ex));
                return true;
            }
        });
    }

    /**
     * Starts serving {@code backends} (the caller keeps ownership and closes them after the server).
     * {@code apiKey} null means no authentication.
     */
    public static OwletServer start(List<? extends ChatModel> backends, String host, int port, String apiKey) throws IOException {
        return start(backends, host, port, apiKey, Options.none());
    }

    /**
     * Starts serving with options; with a state folder, finished fine-tuned models are registered and interrupted
     * jobs re-queued before the port opens. A record that cannot be read is quarantined, never fatal.
     */
    public static OwletServer start(List<? extends ChatModel> backends, String host, int port, String apiKey, Options options)
            throws IOException {
        OwletServer s = new OwletServer(backends, host, port, apiKey, options);
        try {
            if (s.fineTuning != null) s.fineTuning.recover();
        } catch (IOException | RuntimeException e) {
            s.close();
            throw new IOException("state folder " + options.stateDir() + ": " + e.getMessage(), e);
        }
        try {
            s.server.start();
        } catch (Exception e) {
            s.close();
            throw new IOException("cannot listen on " + host + ":" + port + ": " + e.getMessage(), e);
        }
        return s;
    }

    /** Model ids currently served (fine-tuned ones included). */
    public List<String> modelIds() {
        synchronized (models) {
            return List.copyOf(models.keySet());
        }
    }

    /** The bound port (the chosen one when started on port 0). */
    public int port() { return connector.getLocalPort(); }

    /** {@code http://host:port/v1}, the base URL clients use. */
    public String baseUrl() {
        String host = connector.getHost() == null ? "127.0.0.1" : connector.getHost();
        if (host.contains(":")) host = "[" + host + "]";
        return "http://" + host + ":" + port() + "/v1";
    }

    @Override
    public void close() {
        try {
            server.stop();
        } catch (Exception e) {
            log.println("owlet serve: stopping the HTTP server: " + e.getMessage());
        }
        if (fineTuning != null) fineTuning.close();
    }

    // ---------------------------------------------------------------- routing

    private void route(Exchange ex) throws IOException {
        if (apiKey != null && !authorized(ex.request.getHeaders().get(HttpHeader.AUTHORIZATION))) {
            throw new ApiError(401, "invalid_request_error", null, "invalid_api_key",
                    "Incorrect or missing API key; send 'Authorization: Bearer <key>'.");
        }
        if (reject429.get() > 0 && reject429.getAndDecrement() > 0) {
            ex.response.getHeaders().put(HttpHeader.RETRY_AFTER, "0");
            throw new ApiError(429, "rate_limit_error", null, "rate_limit_exceeded",
                    "Rate limit reached (owlet serve test hook); retry after a moment.");
        }
        String path = ex.path;
        if (path.startsWith("/v1/files") || path.startsWith("/v1/fine_tuning/")) {
            fineTuning(ex, path);
            return;
        }
        switch (path) {
            case "/v1/models" -> {
                requireMethod(ex, "GET");
                ex.json(200, models());
            }
            case "/v1/chat/completions" -> {
                requireMethod(ex, "POST");
                ex.readBody(MAX_BODY, null, bytes -> chatCompletions(ex, json(bytes)));
            }
            default -> throw ApiError.notFound(null, "unknown path " + path);
        }
    }

    private static void requireMethod(Exchange ex, String method) {
        if (!method.equals(ex.method)) {
            throw new ApiError(405, "invalid_request_error", null, null, "use " + method + " for " + ex.path);
        }
    }

    private void fineTuning(Exchange ex, String path) throws IOException {
        if (fineTuning == null) throw ApiError.notFound(null, "fine-tuning is off: start owlet serve with --state DIR");
        String method = ex.method;
        String[] seg = path.substring(1).split("/"); // v1, files|fine_tuning, ...
        if (seg[1].equals("files")) {
            if (seg.length == 2 && method.equals("POST")) {
                uploadFile(ex);
            } else if (seg.length == 2 && method.equals("GET")) {
                ex.json(200, fineTuning.listFiles());
            } else if (seg.length == 3 && method.equals("GET")) {
                ex.json(200, fineTuning.file(seg[2]));
            } else if (seg.length == 4 && seg[3].equals("content") && method.equals("GET")) {
                Path p = fineTuning.contentPath(seg[2]);
                if (!ex.claim()) return;
                ex.response.setStatus(200);
                ex.response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/octet-stream");
                ex.response.getHeaders().put(HttpHeader.CONTENT_LENGTH, Files.size(p));
                Content.copy(Content.Source.from(p), ex.response, ex.callback);
            } else {
                throw ApiError.notFound(null, "unknown route " + method + " " + path);
            }
            return;
        }
        // /v1/fine_tuning/jobs[/ID[/events|/cancel]]
        if (seg.length < 3 || !seg[2].equals("jobs")) {
            throw ApiError.notFound(null, "unknown path " + path);
        } else if (seg.length == 3 && method.equals("POST")) {
            ex.readBody(MAX_BODY, null, bytes -> ex.guard(() -> ex.json(200, fineTuning.create(json(bytes)))));
        } else if (seg.length == 3 && method.equals("GET")) {
            Fields q = Request.extractQueryParameters(ex.request);
            Map<String, String> metadata = new LinkedHashMap<>();
            for (Fields.Field f : q) {
                String n = f.getName();
                if (n.startsWith("metadata[") && n.endsWith("]")) metadata.put(n.substring(9, n.length() - 1), f.getValue());
            }
            ex.json(200, fineTuning.listJobs(metadata));
        } else if (seg.length == 4 && method.equals("GET")) {
            ex.json(200, fineTuning.job(seg[3]));
        } else if (seg.length == 5 && seg[4].equals("events") && method.equals("GET")) {
            ex.json(200, fineTuning.events(seg[3]));
        } else if (seg.length == 5 && seg[4].equals("cancel") && method.equals("POST")) {
            ex.json(200, fineTuning.cancel(seg[3]));
        } else {
            throw ApiError.notFound(null, "unknown route " + method + " " + path);
        }
    }

    /**
     * {@code POST /v1/files}: the multipart body is parsed as it arrives, the file part written to
     * {@code STATE/tmp} (never held whole in memory) and moved into place once complete.
     */
    private void uploadFile(Exchange ex) {
        String boundary = MultiPart.extractBoundary(ex.request.getHeaders().get(HttpHeader.CONTENT_TYPE));
        String ct = ex.request.getHeaders().get(HttpHeader.CONTENT_TYPE);
        if (boundary == null || ct == null || !ct.toLowerCase().startsWith("multipart/form-data")) {
            throw ApiError.bad("file", "POST /v1/files expects multipart/form-data with fields 'file' and 'purpose'");
        }
        long maxLength = maxFile + (64 << 10); // the file plus the form's own overhead
        if (ex.request.getLength() > maxLength) {
            if (ex.request.getLength() > maxLength + Exchange.DRAIN) throw ApiError.tooLarge("file", maxFile);
            ex.drain(() -> ex.error(ApiError.tooLarge("file", maxFile)));
            return;
        }
        MultiPartFormData.Parser parser = new MultiPartFormData.Parser(boundary);
        parser.setFilesDirectory(fineTuning.uploadDir());
        parser.setUseFilesForPartsWithoutFileName(true);
        parser.setMaxMemoryFileSize(64 << 10);
        parser.setMaxFileSize(maxFile);
        parser.setMaxLength(maxLength);
        parser.setMaxParts(16);
        parser.parse(ex.request).whenComplete((parts, failure) -> ex.guard(() -> {
            if (failure != null) {
                if (Request.getContentBytesRead(ex.request) > maxFile || String.valueOf(failure.getMessage()).toLowerCase().contains("max")) {
                    ex.drain(() -> ex.error(ApiError.tooLarge("file", maxFile)));
                } else {
                    ex.drain(() -> ex.error(ApiError.bad("file", "the multipart body could not be read"
                            + (failure.getMessage() == null ? "" : ": " + failure.getMessage()))));
                }
                return;
            }
            try (parts) {
                MultiPart.Part file = parts.getFirst("file");
                MultiPart.Part purpose = parts.getFirst("purpose");
                if (file == null) throw ApiError.bad("file", "multipart field 'file' is required");
                if (purpose == null) throw ApiError.bad("purpose", "multipart field 'purpose' is required");
                if (purpose.getLength() > 256) throw ApiError.bad("purpose", "purpose: at most 256 bytes");
                Path tmp = Files.createTempFile(fineTuning.uploadDir(), "upload-", ".part");
                try {
                    Files.delete(tmp);
                    file.writeTo(tmp);
                    ex.json(200, fineTuning.upload(file.getFileName(), purpose.getContentAsString(StandardCharsets.UTF_8).strip(), tmp));
                } finally {
                    Files.deleteIfExists(tmp);
                }
            }
        }));
    }

    private static JsonNode json(byte[] bytes) {
        try {
            return Exchange.JSON.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw ApiError.bad(null, "request body is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw ApiError.bad(null, "request body is not valid JSON");
        }
    }

    private void chatCompletions(Exchange ex, JsonNode body) {
        ChatCompletions.Call call = ChatCompletions.parse(body, models);
        ChatCompletions.Result r = ChatCompletions.run(call);
        if (!call.stream()) {
            ex.json(200, ChatCompletions.body(r));
            return;
        }
        if (!ex.claim()) return;
        ex.response.setStatus(200);
        ex.response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/event-stream; charset=utf-8");
        ex.response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
        try (OutputStream out = Content.Sink.asOutputStream(ex.response)) {
            ChatCompletions.stream(r, out);
        } catch (IOException e) {
            ex.callback.failed(e); // the client went away mid-stream
            return;
        }
        ex.callback.succeeded();
    }

    private boolean authorized(String header) {
        if (header == null || header.length() < 7 || !header.regionMatches(true, 0, "Bearer ", 0, 7)) return false;
        byte[] got = header.substring(7).strip().getBytes(StandardCharsets.UTF_8);
        return MessageDigest.isEqual(got, apiKey);
    }

    private ObjectNode models() {
        ObjectNode out = Exchange.JSON.createObjectNode().put("object", "list");
        ArrayNode data = out.putArray("data");
        synchronized (models) {
            for (ChatModel b : models.values()) {
                data.addObject().put("id", b.id()).put("object", "model").put("created", created).put("owned_by", "owlet");
            }
        }
        return out;
    }

    /** Errors Jetty answers itself (malformed request line, headers too large, timeouts) in OpenAI's shape too. */
    private static final class JsonErrors extends ErrorHandler {
        @Override
        protected void generateResponse(Request request, Response response, int code, String message, Throwable cause,
                                        Callback callback) {
            String text = switch (code) {
                case 400 -> "malformed HTTP request";
                case 408 -> "request not received in time";
                case 413 -> "request body too large";
                case 414 -> "request URI too long";
                case 431 -> "request headers too large";
                default -> "HTTP " + code;
            };
            byte[] bytes;
            try {
                bytes = Exchange.JSON.writeValueAsBytes(new ApiError(code, code >= 500 ? "server_error" : "invalid_request_error",
                        null, null, text).toJson(Exchange.JSON));
            } catch (JsonProcessingException e) {
                callback.failed(e);
                return;
            }
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
            response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
            response.write(true, java.nio.ByteBuffer.wrap(bytes), callback);
        }
    }
}
