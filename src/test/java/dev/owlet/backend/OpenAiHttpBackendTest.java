package dev.owlet.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The client against tiny fake servers on loopback: retries, backoff, and that the key never leaks. */
class OpenAiHttpBackendTest {
    private static final String KEY = "sk-test-SECRET-0123456789";
    private static final String OK = """
            {"id":"x","object":"chat.completion","choices":[
              {"index":0,"message":{"role":"assistant","content":"owl"},"finish_reason":"stop"}]}""";
    private HttpServer server;
    private final List<Duration> sleeps = Collections.synchronizedList(new ArrayList<>());
    private final List<String> authHeaders = Collections.synchronizedList(new ArrayList<>());

    /** A fake endpoint that answers call k with {@code replies.get(min(k, last))}. */
    private OpenAiHttpBackend fake(List<Integer> statuses, List<String> bodies, int attempts) throws IOException {
        AtomicInteger calls = new AtomicInteger();
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/v1/chat/completions", ex -> {
            authHeaders.add(ex.getRequestHeaders().getFirst("Authorization"));
            int k = Math.min(calls.getAndIncrement(), statuses.size() - 1);
            reply(ex, statuses.get(k), bodies.get(k));
        });
        server.start();
        var cfg = OpenAiHttpBackend.Config.of("http://127.0.0.1:" + server.getAddress().getPort() + "/v1", "gpt-test")
                .withApiKeyEnv("MY_KEY").withRetries(attempts, Duration.ofMillis(100), Duration.ofSeconds(2));
        return new OpenAiHttpBackend(cfg, Map.of("MY_KEY", KEY)::get, sleeps::add, RandomGenerator.of("L64X128MixRandom"));
    }

    @Test
    void retryAfterFromTheServerIsWaitedInsteadOfTheBackoff() throws IOException {
        AtomicInteger calls = new AtomicInteger();
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/v1/chat/completions", ex -> {
            int k = calls.getAndIncrement();
            if (k == 0) ex.getResponseHeaders().set("Retry-After", "7");
            if (k == 1) ex.getResponseHeaders().set("retry-after-ms", "1250");
            if (k == 2) ex.getResponseHeaders().set("Retry-After", "3600"); // too long to honour: backoff instead
            reply(ex, k < 3 ? 429 : 200, k < 3 ? "{\"error\":{\"message\":\"slow down\"}}" : OK);
        });
        server.start();
        var cfg = OpenAiHttpBackend.Config.of("http://127.0.0.1:" + server.getAddress().getPort() + "/v1", "gpt-test")
                .withRetries(5, Duration.ofMillis(100), Duration.ofSeconds(2));
        OpenAiHttpBackend b = new OpenAiHttpBackend(cfg, Map.<String, String>of()::get, sleeps::add, RandomGenerator.of("L64X128MixRandom"));
        assertThat(b.complete(ChatRequest.of(null, "hi"), new SamplingParams(1, 1.0, 1.0, 8, 7))).containsExactly("owl");
        assertThat(sleeps).hasSize(3);
        assertThat(sleeps.get(0)).isEqualTo(Duration.ofSeconds(7));
        assertThat(sleeps.get(1)).isEqualTo(Duration.ofMillis(1250));
        assertThat(sleeps.get(2)).isLessThanOrEqualTo(Duration.ofMillis(400));
    }

    @Test
    void aJobCreateThatGot503IsLookedUpByItsMarkerBeforeBeingSentAgain() throws IOException {
        List<String> seen = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger posts = new AtomicInteger();
        java.util.concurrent.atomic.AtomicReference<String> created = new java.util.concurrent.atomic.AtomicReference<>();
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/v1/fine_tuning/jobs", ex -> {
            seen.add(ex.getRequestMethod() + " " + ex.getRequestURI());
            if (ex.getRequestMethod().equals("POST")) {
                String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
                String mark = new com.fasterxml.jackson.databind.ObjectMapper().readTree(body).path("metadata").path("owlet_request").asText();
                created.set("{\"id\":\"ftjob-1\",\"status\":\"queued\",\"model\":\"m\",\"metadata\":{\"owlet_request\":\"" + mark + "\"}}");
                posts.incrementAndGet();
                reply(ex, 503, "{\"error\":{\"message\":\"overloaded\"}}"); // ...after creating the job
            } else {
                reply(ex, 200, "{\"object\":\"list\",\"data\":[" + (created.get() == null ? "" : created.get()) + "]}");
            }
        });
        server.start();
        var cfg = OpenAiHttpBackend.Config.of("http://127.0.0.1:" + server.getAddress().getPort() + "/v1", "m")
                .withRetries(5, Duration.ofMillis(100), Duration.ofSeconds(2));
        OpenAiHttpBackend b = new OpenAiHttpBackend(cfg, Map.<String, String>of()::get, sleeps::add, RandomGenerator.of("L64X128MixRandom"));
        FineTuneJob j = b.createFineTune(FineTuneRequest.supervised("m", "file-1", 1, 0, Double.NaN, 1, null));
        assertThat(j.id()).isEqualTo("ftjob-1");
        assertThat(posts.get()).isEqualTo(1);
        assertThat(seen).hasSize(2);
        assertThat(seen.get(1)).startsWith("GET /v1/fine_tuning/jobs?").contains("metadata%5Bowlet_request%5D=");
    }

    private static void reply(HttpExchange ex, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, b.length);
        try (OutputStream os = ex.getResponseBody()) {
            os.write(b);
        }
    }

    @AfterEach
    void stop() {
        if (server != null) server.stop(0);
    }

    @Test
    void retriesA429ThenSucceeds() throws IOException {
        OpenAiHttpBackend b = fake(List.of(429, 200), List.of("{\"error\":{\"message\":\"slow down\",\"type\":\"rate_limit\"}}", OK), 3);
        List<List<String>> out = b.sample(List.of(ChatRequest.of("sys", "hi")), new SamplingParams(1, 1.0, 1.0, 8, 7));
        assertThat(out).containsExactly(List.of("owl"));
        assertThat(sleeps).hasSize(1);
        assertThat(sleeps.get(0)).isBetween(Duration.ZERO, Duration.ofMillis(100));
        assertThat(authHeaders).containsOnly("Bearer " + KEY);
    }

    @Test
    void gives5xxUpAfterBoundedAttemptsWithGrowingBackoffCaps() throws IOException {
        OpenAiHttpBackend b = fake(List.of(503), List.of("{\"error\":{\"message\":\"overloaded " + KEY + "\"}}"), 4);
        assertThatThrownBy(() -> b.complete(ChatRequest.of(null, "hi"), new SamplingParams(1, 1.0, 1.0, 8, 7)))
                .isInstanceOf(BackendException.class)
                .hasMessageContaining("after 4 attempts").hasMessageContaining("HTTP 503")
                .hasMessageNotContaining(KEY);
        assertThat(sleeps).hasSize(3);
        for (int i = 0; i < 3; i++) assertThat(sleeps.get(i)).isLessThanOrEqualTo(Duration.ofMillis(100L << i));
    }

    @Test
    void unauthorizedIsAClearUserErrorWithoutTheKey() throws IOException {
        String echo = "{\"error\":{\"message\":\"Incorrect API key provided: " + KEY + "\",\"type\":\"invalid_request_error\"}}";
        OpenAiHttpBackend b = fake(List.of(401), List.of(echo), 5);
        assertThatThrownBy(() -> b.complete(ChatRequest.of(null, "hi"), new SamplingParams(1, 1.0, 1.0, 8, 7)))
                .isInstanceOfSatisfying(BackendException.class, e -> {
                    assertThat(e.userFixable()).isTrue();
                    assertThat(e.status()).isEqualTo(401);
                })
                .hasMessageContaining("API key was rejected").hasMessageContaining("MY_KEY")
                .hasMessageNotContaining(KEY).hasMessageNotContaining("SECRET");
        assertThat(sleeps).isEmpty();
        assertThat(b.toString()).contains("MY_KEY").doesNotContain(KEY);
        assertThat(b.name()).doesNotContain(KEY);
    }
}
