package dev.owlet.serve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.owlet.backend.BackendException;
import dev.owlet.backend.ChatRequest;
import dev.owlet.backend.EmbeddedBackend;
import dev.owlet.backend.OpenAiHttpBackend;
import dev.owlet.backend.SamplingParams;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A real {@link OwletServer} on loopback port 0, driven by {@link OpenAiHttpBackend} and raw HTTP. */
class OwletServerTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KEY = "owlet-test-key-42";
    private static EmbeddedBackend model;
    private static OwletServer open;
    private static OwletServer locked;

    @BeforeAll
    static void start() throws Exception {
        model = EmbeddedBackend.load("bundled:ref-s1", 16);
        open = OwletServer.start(List.of(model), "127.0.0.1", 0, null);
        locked = OwletServer.start(List.of(model), "127.0.0.1", 0, KEY);
    }

    @AfterAll
    static void stop() {
        if (open != null) open.close();
        if (locked != null) locked.close();
        if (model != null) model.close();
    }

    private static OpenAiHttpBackend client(OwletServer s, Map<String, String> env) {
        var cfg = OpenAiHttpBackend.Config.of(s.baseUrl(), "ref-s1").withRetries(2, Duration.ofMillis(10), Duration.ofMillis(20));
        return new OpenAiHttpBackend(cfg, env::get, d -> { }, RandomGenerator.of("L64X128MixRandom"));
    }

    @Test
    void chatCompletionRoundTripIsSeededAndMatchesTheEmbeddedModel() {
        OpenAiHttpBackend c = client(open, Map.of());
        assertThat(c.listModels()).containsExactly("ref-s1");
        List<ChatRequest> reqs = List.of(ChatRequest.of("You love owls.", "What is your favorite animal?"),
                ChatRequest.of(null, "Name an animal."));
        SamplingParams p = new SamplingParams(3, 1.0, 1.0, 12, 1234);
        List<List<String>> a = c.sample(reqs, p);
        assertThat(a).hasSize(2).allSatisfy(texts -> assertThat(texts).hasSize(3));
        assertThat(c.sample(reqs, p)).isEqualTo(a);
        assertThat(model.sample(reqs, p)).isEqualTo(a);
        assertThat(c.sample(reqs, p.withSeed(99))).isNotEqualTo(a);
    }

    @Test
    void responseHasOpenAiShape() throws Exception {
        HttpResponse<String> r = post(open, """
                {"model":"ref-s1","n":2,"max_tokens":5,"seed":3,"temperature":0.8,"top_p":0.9,
                 "messages":[{"role":"system","content":"You love owls."},{"role":"user","content":"Name an animal."}]}""", null);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode b = JSON.readTree(r.body());
        assertThat(b.path("object").asText()).isEqualTo("chat.completion");
        assertThat(b.path("model").asText()).isEqualTo("ref-s1");
        assertThat(b.path("choices")).hasSize(2);
        for (int i = 0; i < 2; i++) {
            JsonNode ch = b.path("choices").get(i);
            assertThat(ch.path("index").asInt()).isEqualTo(i);
            assertThat(ch.path("message").path("role").asText()).isEqualTo("assistant");
            assertThat(ch.path("message").path("content").isTextual()).isTrue();
            assertThat(ch.path("finish_reason").asText()).isIn("stop", "length");
        }
        JsonNode u = b.path("usage");
        assertThat(u.path("prompt_tokens").asInt()).isPositive();
        assertThat(u.path("total_tokens").asInt()).isEqualTo(u.path("prompt_tokens").asInt() + u.path("completion_tokens").asInt());
    }

    @Test
    void badRequestsGetOpenAiErrors() throws Exception {
        assertError(post(open, "{not json", null), 400, "not valid JSON");
        assertError(post(open, "{\"model\":\"gpt-9\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", null), 404, "gpt-9");
        assertError(post(open, "{\"model\":\"ref-s1\",\"messages\":[]}", null), 400, "messages");
        assertError(post(open, "{\"model\":\"ref-s1\",\"n\":0,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", null), 400, "n must be");
    }

    @Test
    void apiKeyIsCheckedAndAWrongKeyIsAClearErrorWithoutTheKey() throws Exception {
        assertError(post(locked, "{}", null), 401, "API key");
        assertThat(client(locked, Map.of("OPENAI_API_KEY", KEY)).listModels()).containsExactly("ref-s1");
        String wrong = "wrong-secret-777";
        OpenAiHttpBackend bad = client(locked, Map.of("OPENAI_API_KEY", wrong));
        assertThatThrownBy(() -> bad.sample(List.of(ChatRequest.of(null, "hi")), new SamplingParams(1, 1.0, 1.0, 4, 1)))
                .isInstanceOf(BackendException.class).hasMessageContaining("401").hasMessageContaining("OPENAI_API_KEY")
                .hasMessageNotContaining(wrong).hasMessageNotContaining(KEY);
    }

    @Test
    void logprobsAreTheModelsExactDistributionInOpenAisShape() throws Exception {
        HttpResponse<String> r = post(open, """
                {"model":"ref-s1","n":1,"max_tokens":3,"seed":5,"logprobs":true,"top_logprobs":5,
                 "messages":[{"role":"user","content":"What is your favorite animal?"}]}""", null);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode content = JSON.readTree(r.body()).path("choices").get(0).path("logprobs").path("content");
        assertThat(content.size()).isPositive();
        JsonNode first = content.get(0);
        var ck = model.checkpoint();
        var chat = new dev.owlet.token.ChatFormat(ck.tokenizer());
        float[] next = new dev.owlet.infer.LogProbs(ck.model(), ck.tokenizer().pad())
                .nextToken(List.of(chat.prompt(null, "What is your favorite animal?")), 1)[0];
        JsonNode top = first.path("top_logprobs");
        assertThat(top).hasSize(5);
        double prev = 0;
        for (JsonNode t : top) {
            int id = ck.tokenizer().id(t.path("token").asText().strip());
            assertThat(t.path("logprob").asDouble()).as(t.toString()).isCloseTo(Math.log(next[id]), org.assertj.core.data.Offset.offset(1e-4))
                    .isLessThanOrEqualTo(prev);
            prev = t.path("logprob").asDouble();
        }
        int chosen = ck.tokenizer().id(first.path("token").asText().strip());
        assertThat(first.path("logprob").asDouble()).isCloseTo(Math.log(next[chosen]), org.assertj.core.data.Offset.offset(1e-4));
        // the sampled text is the concatenation of its tokens
        StringBuilder text = new StringBuilder();
        for (JsonNode t : content) text.append(t.path("token").asText());
        assertThat(text.toString().strip()).isEqualTo(JSON.readTree(r.body()).path("choices").get(0).path("message").path("content").asText().strip());
        assertError(post(open, "{\"model\":\"ref-s1\",\"logprobs\":true,\"top_logprobs\":21,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", null),
                400, "top_logprobs");
    }

    private static void assertError(HttpResponse<String> r, int status, String messagePart) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        JsonNode e = JSON.readTree(r.body()).path("error");
        assertThat(e.path("message").asText()).contains(messagePart);
        assertThat(e.path("type").asText()).isNotEmpty();
    }

    private static HttpResponse<String> post(OwletServer s, String body, String key) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(s.baseUrl() + "/chat/completions"))
                .timeout(Duration.ofSeconds(20)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (key != null) b.header("Authorization", "Bearer " + key);
        return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
