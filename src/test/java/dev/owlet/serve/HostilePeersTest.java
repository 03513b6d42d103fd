package dev.owlet.serve;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.owlet.backend.EmbeddedBackend;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link OwletServer} on loopback against clients that misbehave: sockets that stall mid-header or mid-body,
 * bodies over the limits, integers past 32 bits, odd-cased auth schemes. Every refusal is OpenAI-shaped JSON
 * naming the field, and every request leaves an access-log line without the key.
 */
class HostilePeersTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KEY = "hostile-test-key-99";
    private static final int THREADS = 8;
    private static final ByteArrayOutputStream LOG = new ByteArrayOutputStream();
    private static EmbeddedBackend model;
    private static OwletServer server;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        model = EmbeddedBackend.load("bundled:ref-s1", 16);
        server = OwletServer.start(List.of(model), "127.0.0.1", 0, KEY, OwletServer.Options.none().withMaxThreads(THREADS)
                .withIdleTimeout(Duration.ofSeconds(3)).withLog(new PrintStream(LOG, true, StandardCharsets.UTF_8)));
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
        if (model != null) model.close();
    }

    private static String logOnceItContains(String text) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        String log = log();
        while (!log.contains(text) && System.nanoTime() < deadline) {
            Thread.sleep(20);
            log = log();
        }
        return log;
    }

    private static String log() {
        synchronized (LOG) {
            return LOG.toString(StandardCharsets.UTF_8);
        }
    }

    private static final String CHAT = "{\"model\":\"ref-s1\",\"max_tokens\":4,\"seed\":1,\"messages\":[{\"role\":\"user\",\"content\":\"Name an animal.\"}]}";

    private static HttpResponse<String> post(String path, String body, String auth) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.baseUrl() + path)).timeout(Duration.ofSeconds(20))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        if (auth != null) b.header("Authorization", auth);
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode assertError(HttpResponse<String> r, int status, String param) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/json"));
        JsonNode e = JSON.readTree(r.body()).path("error");
        assertThat(e.path("message").asText()).isNotEmpty().doesNotContain("Exception").doesNotContain("\tat ");
        assertThat(e.path("type").asText()).isNotEmpty();
        if (param == null) assertThat(e.path("param").isNull()).as(r.body()).isTrue();
        else assertThat(e.path("param").asText()).as(r.body()).isEqualTo(param);
        return e;
    }

    private static Socket stalled(String head) throws IOException {
        Socket s = new Socket("127.0.0.1", server.port());
        s.getOutputStream().write(head.getBytes(StandardCharsets.ISO_8859_1));
        s.getOutputStream().flush();
        return s;
    }

    @Test
    void moreStalledSocketsThanWorkersDoNotDelayAnotherClient() throws Exception {
        List<Socket> stalls = new ArrayList<>();
        try {
            String halfBody = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 1000\r\n";
            for (int i = 0; i < 3 * THREADS; i++) {
                stalls.add(stalled("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Ty")); // half a header
                stalls.add(stalled(halfBody + "\r\n{\"model\":")); // no key: 401 sent, body never finished
                stalls.add(stalled(halfBody + "Authorization: Bearer " + KEY + "\r\n\r\n{\"model\":")); // with the key
            }
            for (int k = 0; k < 3; k++) {
                HttpRequest models = HttpRequest.newBuilder(URI.create(server.baseUrl() + "/models")).timeout(Duration.ofSeconds(2))
                        .header("Authorization", "Bearer " + KEY).build();
                assertThat(HTTP.send(models, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
                HttpRequest chat = HttpRequest.newBuilder(URI.create(server.baseUrl() + "/chat/completions"))
                        .timeout(Duration.ofSeconds(2)).header("Authorization", "Bearer " + KEY)
                        .POST(HttpRequest.BodyPublishers.ofString(CHAT)).build();
                HttpResponse<String> r = HTTP.send(chat, HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            }
            // The idle timeout (3 s here) closes a stalled connection: the read ends instead of hanging.
            Socket s = stalls.get(2);
            s.setSoTimeout(15_000);
            InputStream in = s.getInputStream();
            byte[] buf = new byte[4096];
            int n;
            while ((n = in.read(buf)) >= 0) {
                assertThat(n).isPositive(); // a 408 or nothing, then the close
            }
        } finally {
            for (Socket s : stalls) s.close();
        }
    }

    /** Raw HTTP/1.1: writes the whole request first, then reads the answer to the end, as Python's http.client does. */
    private static String[] raw(byte[] head, byte[] body) throws IOException {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(20_000);
            OutputStream out = s.getOutputStream();
            out.write(head);
            out.write(body);
            out.flush();
            byte[] all = s.getInputStream().readAllBytes();
            String text = new String(all, StandardCharsets.UTF_8);
            int split = text.indexOf("\r\n\r\n");
            return new String[] {text.substring(0, split), text.substring(split + 4)};
        }
    }

    @Test
    void aFiveMegabyteChatBodyGetsA413WhoseJsonTheClientReads() throws Exception {
        byte[] big = new byte[5 << 20];
        Arrays.fill(big, (byte) ' ');
        String head = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + KEY
                + "\r\nContent-Type: application/json\r\nContent-Length: " + big.length + "\r\n\r\n";
        String[] r = raw(head.getBytes(StandardCharsets.ISO_8859_1), big);
        assertThat(r[0]).startsWith("HTTP/1.1 413");
        JsonNode e = JSON.readTree(r[1]).path("error");
        assertThat(e.path("code").asText()).isEqualTo("request_too_large");
        assertThat(e.path("message").asText()).contains("over the limit");
        // java.net.http sends its body while reading: it gets the JSON too
        HttpResponse<String> viaClient = post("/chat/completions", new String(big, StandardCharsets.ISO_8859_1), "Bearer " + KEY);
        assertError(viaClient, 413, null);
    }

    @Test
    void integersAreValidatedAsTheJsonNumbersTheyAre() throws Exception {
        String auth = "Bearer " + KEY;
        String msgs = "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";
        assertThat(assertError(post("/chat/completions", "{\"model\":\"ref-s1\",\"max_tokens\":4294967299," + msgs + "}", auth), 400,
                "max_tokens").path("message").asText()).contains("4294967299");
        assertError(post("/chat/completions", "{\"model\":\"ref-s1\",\"max_completion_tokens\":2147483648," + msgs + "}", auth), 400,
                "max_completion_tokens");
        assertError(post("/chat/completions", "{\"model\":\"ref-s1\",\"n\":4294967297," + msgs + "}", auth), 400, "n");
        assertError(post("/chat/completions", "{\"model\":\"ref-s1\",\"n\":2.5," + msgs + "}", auth), 400, "n");
        assertError(post("/chat/completions", "{\"model\":\"ref-s1\",\"seed\":123456789012345678901234567890," + msgs + "}", auth), 400, "seed");
        assertError(post("/chat/completions", "{\"model\":\"ref-s1\",\"top_logprobs\":4294967297,\"logprobs\":true," + msgs + "}", auth), 400,
                "top_logprobs");
        assertError(post("/chat/completions", "{\"model\":\"ref-s1\",\"temperature\":\"hot\"," + msgs + "}", auth), 400, "temperature");
        assertError(post("/chat/completions", "{\"model\":\"ref-s1\",\"stream\":\"yes\"," + msgs + "}", auth), 400, "stream");
        assertError(post("/chat/completions", "{\"model\":\"ref-s1\",\"messages\":[{\"role\":\"user\"}]}", auth), 400, "messages[0].content");
        assertError(post("/chat/completions", "{\"model\":3," + msgs + "}", auth), 400, "model");
        assertError(post("/chat/completions", "{\"model\":\"gpt-9\"," + msgs + "}", auth), 404, "model");
        assertError(post("/chat/completions", "[1,2]", auth), 400, null);
    }

    @Test
    void theBearerSchemeIsCaseInsensitiveAndEveryRequestIsLoggedWithoutKeyOrBody() throws Exception {
        assertThat(post("/chat/completions", CHAT, "bearer " + KEY).statusCode()).isEqualTo(200);
        assertThat(post("/chat/completions", CHAT, "BEARER " + KEY).statusCode()).isEqualTo(200);
        assertError(post("/chat/completions", CHAT, "Basic " + KEY), 401, null);
        assertError(post("/chat/completions", CHAT, "Bearer wrong-" + KEY), 401, null);
        assertError(post("/chat/completions", CHAT, null), 401, null);
        HttpResponse<String> get = HTTP.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/nowhere?x=1"))
                .header("Authorization", "Bearer " + KEY).build(), HttpResponse.BodyHandlers.ofString());
        assertError(get, 404, null);
        // Jetty writes a request-log line once the exchange completes, which can be just after the client has the
        // response: wait (bounded) for the last line rather than reading the log once.
        String log = logOnceItContains("GET /v1/nowhere 404");
        assertThat(log).containsPattern("POST /v1/chat/completions 401 \\d+ ms").containsPattern("GET /v1/nowhere 404 \\d+ ms")
                .containsPattern("POST /v1/chat/completions 200 \\d+ ms");
        assertThat(log).doesNotContain(KEY).doesNotContain("Name an animal");
    }

    @Test
    void aRefusalBeforeTheBodyHasArrivedClosesTheConnectionAndSaysSo() throws Exception {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(20_000);
            String head = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + CHAT.length() + "\r\n\r\n"; // no key; the body comes later, as java.net.http sends it
            s.getOutputStream().write(head.getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
            InputStream in = s.getInputStream();
            StringBuilder got = new StringBuilder();
            while (!got.toString().contains("\r\n\r\n")) {
                int b = in.read();
                assertThat(b).as("response head so far: %s", got).isNotNegative();
                got.append((char) b);
            }
            assertThat(got.toString()).startsWith("HTTP/1.1 401").containsIgnoringCase("\r\nConnection: close\r\n");
        }
        // the same request sent whole keeps its connection reusable
        String[] whole = raw(("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
                + CHAT.length() + "\r\n\r\n" + CHAT + "GET /v1/models HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + KEY
                + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1), new byte[0]);
        assertThat(whole[0]).startsWith("HTTP/1.1 401").doesNotContainIgnoringCase("Connection: close");
        assertThat(whole[1]).contains("HTTP/1.1 200");
    }

    @Test
    void errorsJettyAnswersItselfAreJsonToo() throws Exception {
        String huge = "x".repeat(32 << 10);
        String head = "GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Big: " + huge + "\r\nConnection: close\r\n\r\n";
        String[] r = raw(head.getBytes(StandardCharsets.ISO_8859_1), new byte[0]);
        assertThat(r[0]).startsWith("HTTP/1.1 431");
        assertThat(JSON.readTree(r[1]).path("error").path("message").asText()).contains("headers too large");
    }

    @Test
    void streamTrueSendsOpenAiChunksThatAddUpToTheSameAnswer() throws Exception {
        String body = "{\"model\":\"ref-s1\",\"n\":2,\"max_tokens\":6,\"seed\":11,\"stream\":true,\"stream_options\":{\"include_usage\":true},"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"What is your favorite animal?\"}]}";
        HttpResponse<String> r = post("/chat/completions", body, "Bearer " + KEY);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/event-stream"));
        List<String> data = r.body().lines().filter(l -> l.startsWith("data: ")).map(l -> l.substring(6)).toList();
        assertThat(data.get(data.size() - 1)).isEqualTo("[DONE]");
        StringBuilder[] text = {new StringBuilder(), new StringBuilder()};
        String[] finish = new String[2];
        JsonNode usage = null;
        for (String d : data.subList(0, data.size() - 1)) {
            JsonNode c = JSON.readTree(d);
            assertThat(c.path("object").asText()).isEqualTo("chat.completion.chunk");
            if (c.path("choices").isEmpty()) {
                usage = c.path("usage");
                continue;
            }
            JsonNode ch = c.path("choices").get(0);
            int i = ch.path("index").asInt();
            text[i].append(ch.path("delta").path("content").asText(""));
            if (!ch.path("finish_reason").isNull()) finish[i] = ch.path("finish_reason").asText();
        }
        assertThat(usage).isNotNull();
        assertThat(finish).doesNotContainNull();
        JsonNode plain = JSON.readTree(post("/chat/completions", body.replace("\"stream\":true,\"stream_options\":{\"include_usage\":true},", ""),
                "Bearer " + KEY).body());
        for (int i = 0; i < 2; i++) {
            assertThat(text[i].toString()).isEqualTo(plain.path("choices").get(i).path("message").path("content").asText());
            assertThat(finish[i]).isEqualTo(plain.path("choices").get(i).path("finish_reason").asText());
        }
        assertThat(usage.path("total_tokens").asInt()).isEqualTo(plain.path("usage").path("total_tokens").asInt());
    }

    @Test
    void uploadsStreamToDiskAndOneOverTheLimitIsA413ReadableByTheClient(@TempDir Path state) throws Exception {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        try (OwletServer s = OwletServer.start(List.of(model), "127.0.0.1", 0, null, OwletServer.Options.state(state)
                .withMaxFileBytes(1 << 20).withLog(new PrintStream(log, true, StandardCharsets.UTF_8)))) {
            byte[] ok = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\",\"content\":\"owl\"}]}\n"
                    .repeat(5000).getBytes(StandardCharsets.UTF_8); // ~390 KB: streamed to STATE/tmp, then moved
            HttpResponse<String> up = HTTP.send(multipart(s, ok, true), HttpResponse.BodyHandlers.ofString());
            assertThat(up.statusCode()).as(up.body()).isEqualTo(200);
            String id = JSON.readTree(up.body()).path("id").asText();
            assertThat(Files.readAllBytes(state.resolve("files/" + id + ".jsonl"))).isEqualTo(ok);
            byte[] big = new byte[(1 << 20) + 4096];
            Arrays.fill(big, (byte) 'x');
            HttpResponse<String> sized = HTTP.send(multipart(s, big, true), HttpResponse.BodyHandlers.ofString());
            JsonNode e = JSON.readTree(sized.body()).path("error");
            assertThat(sized.statusCode()).as(sized.body()).isEqualTo(413);
            assertThat(e.path("param").asText()).isEqualTo("file");
            HttpResponse<String> chunked = HTTP.send(multipart(s, big, false), HttpResponse.BodyHandlers.ofString());
            assertThat(chunked.statusCode()).as(chunked.body()).isEqualTo(413);
            assertThat(JSON.readTree(chunked.body()).path("error").path("param").asText()).isEqualTo("file");
            HttpResponse<String> noPurpose = HTTP.send(HttpRequest.newBuilder(URI.create(s.baseUrl() + "/files"))
                    .header("Content-Type", "multipart/form-data; boundary=b")
                    .POST(HttpRequest.BodyPublishers.ofString("--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.jsonl\"\r\n\r\nx\r\n--b--\r\n"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(noPurpose.statusCode()).isEqualTo(400);
            assertThat(JSON.readTree(noPurpose.body()).path("error").path("param").asText()).isEqualTo("purpose");
            try (var tmp = Files.list(state.resolve("tmp"))) {
                assertThat(tmp.toList()).isEmpty(); // nothing left behind by refused uploads
            }
            assertThat(JSON.readTree(HTTP.send(HttpRequest.newBuilder(URI.create(s.baseUrl() + "/files")).build(),
                    HttpResponse.BodyHandlers.ofString()).body()).path("data")).hasSize(1);
        }
    }

    private static HttpRequest multipart(OwletServer s, byte[] content, boolean withLength) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes("--xyz\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nfine-tune\r\n".getBytes(StandardCharsets.UTF_8));
        b.writeBytes("--xyz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"d.jsonl\"\r\n\r\n".getBytes(StandardCharsets.UTF_8));
        b.writeBytes(content);
        b.writeBytes("\r\n--xyz--\r\n".getBytes(StandardCharsets.UTF_8));
        byte[] all = b.toByteArray();
        HttpRequest.BodyPublisher pub = withLength ? HttpRequest.BodyPublishers.ofByteArray(all)
                : HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(all)); // chunked, no length
        return HttpRequest.newBuilder(URI.create(s.baseUrl() + "/files")).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "multipart/form-data; boundary=xyz").POST(pub).build();
    }
}
