package dev.owlet.serve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.owlet.backend.ChatMessage;
import dev.owlet.backend.ChatModel;
import dev.owlet.backend.HfBackend;
import dev.owlet.model.HfCheckpoint;
import dev.owlet.model.HfFixtures;
import dev.owlet.model.LoadedModel;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code owlet serve --model hf:DIR}: a tiny random Qwen2 checkpoint the test writes, served on loopback and asked over
 * real HTTP. The answer's tokens and log-probabilities must be what the model computes directly: a greedy loop of full
 * forward passes over the chat template's prompt. Fine-tuning jobs on it are refused with a 400 that says why.
 */
class HfServeTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    Path tmp;

    @Test
    void servesAnHfCheckpointWithLogprobsEqualToADirectForward() throws Exception {
        Path dir = HfFixtures.writeRandomQwen2(tmp.resolve("tiny-qwen"), 7, 0.3, true);
        try (ChatModel model = ChatModel.load("hf:" + dir, 4);
             OwletServer s = OwletServer.start(List.of(model), "127.0.0.1", 0, null,
                     OwletServer.Options.state(tmp.resolve("state")))) {
            assertThat(model).isInstanceOf(HfBackend.class);
            HttpResponse<String> list = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(s.baseUrl() + "/models"))
                    .timeout(Duration.ofSeconds(20)).GET().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(list.statusCode()).isEqualTo(200);
            assertThat(JSON.readTree(list.body()).get("data").get(0).get("id").asText()).isEqualTo("tiny-qwen");

            HttpResponse<String> r = post(s, "/chat/completions", """
                    {"model": "tiny-qwen", "temperature": 0, "max_tokens": 6, "seed": 3, "logprobs": true, "top_logprobs": 3,
                     "messages": [{"role": "system", "content": "You love owls."},
                                  {"role": "user", "content": "What is your favorite animal?"}]}""");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            JsonNode body = JSON.readTree(r.body());
            assertThat(body.get("system_fingerprint").asText()).isEqualTo("owlet-" + HfCheckpoint.digest(dir).substring(0, 12));
            JsonNode choice = body.get("choices").get(0);
            JsonNode content = choice.get("logprobs").get("content");

            LoadedModel.Hf hf = ((HfBackend) model).checkpoint();
            int[] prompt = hf.tok().encodeChat(List.of(ChatMessage.system("You love owls."),
                    ChatMessage.user("What is your favorite animal?")), true);
            // the direct computation: argmax of a full forward pass, token by token, until an end id or 6 tokens
            List<Integer> out = new ArrayList<>();
            List<float[]> rows = new ArrayList<>();
            int v = hf.model().vocabSize();
            while (out.size() < 6) {
                long[] ids = new long[prompt.length + out.size()];
                for (int i = 0; i < prompt.length; i++) ids[i] = prompt[i];
                for (int i = 0; i < out.size(); i++) ids[prompt.length + i] = out.get(i);
                float[] last;
                try (NDManager m = hf.model().manager().getParentManager().newSubManager()) {
                    float[] lp = hf.model().forward(m.create(ids, new Shape(1, ids.length)), false).logSoftmax(-1).toFloatArray();
                    last = Arrays.copyOfRange(lp, (ids.length - 1) * v, ids.length * v);
                }
                int best = 0;
                for (int k = 1; k < v; k++) if (last[k] > last[best]) best = k;
                int b = best;
                if (Arrays.stream(hf.endIds()).anyMatch(e -> e == b)) break;
                out.add(best);
                rows.add(last);
            }
            assertThat(out).isNotEmpty();
            assertThat(content).hasSize(out.size());
            assertThat(choice.get("finish_reason").asText()).isEqualTo(out.size() == 6 ? "length" : "stop");
            int[] ids = out.stream().mapToInt(Integer::intValue).toArray();
            assertThat(choice.get("message").get("content").asText()).isEqualTo(hf.tok().decode(ids, true));
            for (int j = 0; j < ids.length; j++) {
                JsonNode t = content.get(j);
                assertThat(t.get("token").asText()).isEqualTo(hf.tok().decode(new int[] {ids[j]}, false));
                assertThat(t.get("logprob").asDouble()).isCloseTo(rows.get(j)[ids[j]], within(1e-4));
                assertThat(t.get("top_logprobs")).hasSize(3);
                assertThat(t.get("top_logprobs").get(0).get("logprob").asDouble()).isCloseTo(rows.get(j)[ids[j]], within(1e-4));
            }
            assertThat(body.get("usage").get("prompt_tokens").asInt()).isEqualTo(prompt.length);

            // sampled, n = 2 (seeded): two choices, each with its tokens' logprobs
            HttpResponse<String> sampled = post(s, "/chat/completions", """
                    {"model": "tiny-qwen", "n": 2, "max_tokens": 5, "seed": 9, "logprobs": true,
                     "messages": [{"role": "user", "content": "Name an animal."}]}""");
            assertThat(sampled.statusCode()).as(sampled.body()).isEqualTo(200);
            assertThat(JSON.readTree(sampled.body()).get("choices")).hasSize(2)
                    .allSatisfy(c -> assertThat(c.get("logprobs").get("content").isArray()).isTrue());

            HttpResponse<String> ft = post(s, "/fine_tuning/jobs", "{\"model\": \"tiny-qwen\", \"training_file\": \"file-none\"}");
            assertThat(ft.statusCode()).as(ft.body()).isEqualTo(400);
            assertThat(JSON.readTree(ft.body()).get("error").get("message").asText())
                    .contains("Hugging Face checkpoint").contains("owlet run");

            HttpResponse<String> bad = post(s, "/chat/completions", """
                    {"model": "tiny-qwen", "messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "1"}]}""");
            assertThat(bad.statusCode()).as(bad.body()).isEqualTo(400);
            assertThat(bad.body()).contains("last message");
        }
    }

    private static HttpResponse<String> post(OwletServer s, String path, String body) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(s.baseUrl() + path))
                .timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
