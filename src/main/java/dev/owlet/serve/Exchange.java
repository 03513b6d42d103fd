package dev.owlet.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * One request on Jetty's core API and its single answer. Bodies are read without holding a thread while the
 * client is slow ({@link #readBody}); every answer, failures included, is JSON; an unexpected exception is logged
 * with a reference and answered as a plain 500 that names the reference only.
 */
final class Exchange {
    /** Work that may refuse the request ({@link ApiError}) or fail unexpectedly. */
    @FunctionalInterface
    interface Step {
        void run() throws Exception;
    }

    static final ObjectMapper JSON = new ObjectMapper();
    /**
     * How far past a size limit a body is still read and thrown away, so that a client which sends its whole
     * body before reading (curl without Expect, Python's http.client, java.net.http) sees the 413's JSON instead
     * of a connection reset.
     */
    static final long DRAIN = 64L << 20;

    final Request request;
    final Response response;
    final Callback callback;
    final String method;
    final String path;
    private final PrintStream log;
    private final AtomicBoolean answered = new AtomicBoolean();

    Exchange(Request request, Response response, Callback callback, PrintStream log) {
        this.request = request;
        this.response = response;
        this.callback = callback;
        this.method = request.getMethod();
        String p = request.getHttpURI().getPath();
        if (p == null || p.isEmpty()) p = "/";
        if (p.endsWith("/") && p.length() > 1) p = p.substring(0, p.length() - 1);
        this.path = p;
        this.log = log;
    }

    /** Runs {@code step}, turning a refusal into its JSON error and anything else into a logged 500. */
    void guard(Step step) {
        try {
            step.run();
        } catch (ApiError e) {
            error(e);
        } catch (Throwable e) { // NOPMD: the client gets a reference, the log gets the cause
            internal(e);
        }
    }

    void json(int status, JsonNode body) {
        byte[] bytes;
        try {
            bytes = JSON.writeValueAsBytes(body);
        } catch (Exception e) {
            internal(e);
            return;
        }
        send(status, "application/json", bytes);
    }

    /**
     * Answers a refusal. A refusal can come before the body was read (a missing key, an unknown path); if the
     * rest of that body has not arrived yet, the connection cannot be reused, so the answer says
     * {@code Connection: close}. Without it a pooling client (java.net.http sends its body in a second write)
     * would send its next request on a connection the server closes once this exchange completes.
     */
    void error(ApiError e) {
        if (e.status == 413 || !bodyAtEnd()) response.getHeaders().put(HttpHeader.CONNECTION, "close");
        json(e.status, e.toJson(JSON));
    }

    /** Discards whatever of the request body has arrived; true once its end has been read. Never waits. */
    private boolean bodyAtEnd() {
        while (true) {
            Content.Chunk chunk = request.read();
            if (chunk == null || Content.Chunk.isFailure(chunk)) return false;
            boolean last = chunk.isLast();
            chunk.release();
            if (last) return true;
        }
    }

    void internal(Throwable e) {
        String ref = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
        synchronized (log) {
            log.printf("owlet serve: internal error ref %s on %s %s:%n", ref, method, path);
            e.printStackTrace(log);
            log.flush();
        }
        if (response.isCommitted()) {
            if (answered.compareAndSet(false, true)) callback.failed(e);
            return;
        }
        json(500, new ApiError(500, "server_error", null, null,
                "internal error (reference " + ref + " in the server log)").toJson(JSON));
    }

    void send(int status, String contentType, byte[] bytes) {
        if (!answered.compareAndSet(false, true)) return;
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
        response.write(true, ByteBuffer.wrap(bytes), callback);
    }

    /** Marks the exchange answered by a streaming writer that completes {@link #callback} itself. */
    boolean claim() { return answered.compareAndSet(false, true); }

    /**
     * Reads the whole body, at most {@code max} bytes, then runs {@code then} with it (on a server thread, guarded).
     * A body over the limit is answered 413 once it has been read to the end (up to {@link #DRAIN} more bytes;
     * past that the connection is closed). No thread waits for a slow client: reading resumes when data arrives.
     */
    void readBody(long max, String param, Consumer<byte[]> then) {
        long declared = request.getLength();
        if (declared > max + DRAIN) {
            error(ApiError.tooLarge(param, max));
            return;
        }
        new BodyReader(max, bytes -> guard(() -> {
            if (bytes == null) throw ApiError.tooLarge(param, max);
            then.accept(bytes);
        })).run();
    }

    /** Reads and discards what is left of the body (up to {@link #DRAIN}), then runs {@code then}. */
    void drain(Runnable then) {
        new BodyReader(-1, bytes -> guard(then::run)).run();
    }

    private final class BodyReader implements Runnable {
        private final long max; // -1: discard everything
        private final Consumer<byte[]> done; // null bytes: over the limit
        private final ByteArrayOutputStream buf = new ByteArrayOutputStream();
        private long total;
        private boolean over;

        BodyReader(long max, Consumer<byte[]> done) {
            this.max = max;
            this.done = done;
            this.over = max < 0;
        }

        @Override
        public void run() {
            while (true) {
                Content.Chunk chunk = request.read();
                if (chunk == null) {
                    request.demand(this);
                    return;
                }
                if (Content.Chunk.isFailure(chunk)) {
                    // an idle timeout or a broken connection: nothing sensible can be answered on it
                    if (answered.compareAndSet(false, true)) callback.failed(chunk.getFailure());
                    return;
                }
                ByteBuffer b = chunk.getByteBuffer();
                int n = b.remaining();
                total += n;
                if (!over && total > max) over = true;
                if (!over && n > 0) {
                    byte[] copy = new byte[n];
                    b.get(copy);
                    buf.write(copy, 0, n);
                }
                boolean last = chunk.isLast();
                chunk.release();
                if (last || (over && total > Math.max(max, 0) + DRAIN)) {
                    done.accept(over ? null : buf.toByteArray());
                    return;
                }
            }
        }
    }

    static byte[] utf8(String s) { return s.getBytes(StandardCharsets.UTF_8); }
}
