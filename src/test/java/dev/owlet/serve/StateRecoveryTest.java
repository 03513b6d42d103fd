package dev.owlet.serve;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A state folder with broken records: the server starts anyway, quarantines them, names them and serves the rest. */
class StateRecoveryTest extends WithBundledReference {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path state;



    private static String job(String id, String status, String model) {
        return """
                {"job": {"id": "%s", "object": "fine_tuning.job", "created_at": 1700000000, "finished_at": 1700000100,
                  "model": "ref-s1", "fine_tuned_model": %s, "status": "%s", "hyperparameters": {"n_epochs": 1,
                  "batch_size": 4, "learning_rate_multiplier": 1.0}, "training_file": "file-good", "error": null, "seed": 1},
                 "events": []}""".formatted(id, model == null ? "null" : "\"" + model + "\"", status);
    }

    @Test
    void aTruncatedJobAndAMissingModelFolderAreQuarantinedAndNamedWhileTheRestIsServed() throws Exception {
        Files.createDirectories(state.resolve("files"));
        Files.createDirectories(state.resolve("jobs"));
        Files.createDirectories(state.resolve("models"));
        byte[] data = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\",\"content\":\"owl\"}]}\n"
                .getBytes(StandardCharsets.UTF_8);
        Files.write(state.resolve("files/file-good.jsonl"), data);
        Files.writeString(state.resolve("files/file-good.json"), """
                {"id": "file-good", "object": "file", "bytes": %d, "created_at": 1700000000, "filename": "owl.jsonl",
                 "purpose": "fine-tune", "status": "processed"}""".formatted(data.length));
        Files.writeString(state.resolve("files/file-lost.json"), """
                {"id": "file-lost", "object": "file", "bytes": 10, "created_at": 1700000000, "filename": "x.jsonl",
                 "purpose": "fine-tune", "status": "processed"}"""); // its content is gone
        String full = job("ftjob-cut", "running", null);
        Files.writeString(state.resolve("jobs/ftjob-cut.json"), full.substring(0, full.length() / 2)); // a write cut short
        Files.writeString(state.resolve("jobs/ftjob-gone.json"), job("ftjob-gone", "succeeded", "ft:ref-s1:ftjob-gone"));
        Files.writeString(state.resolve("jobs/ftjob-done.json"), job("ftjob-done", "cancelled", null));

        ByteArrayOutputStream log = new ByteArrayOutputStream();
        HttpClient http = HttpClient.newHttpClient();
        try (OwletServer s = OwletServer.start(List.of(ref), "127.0.0.1", 0, null,
                OwletServer.Options.state(state).withLog(new PrintStream(log, true, StandardCharsets.UTF_8)))) {
            String text = log.toString(StandardCharsets.UTF_8);
            assertThat(text).contains("quarantined job record jobs/ftjob-cut.json").contains("not valid JSON");
            assertThat(text).contains("models/ftjob-gone").contains("quarantined file record files/file-lost.json")
                    .contains("file-lost.jsonl is missing");
            try (var q = Files.list(state.resolve("quarantine"))) {
                assertThat(q.map(p -> p.getFileName().toString()).toList())
                        .anySatisfy(n -> assertThat(n).endsWith("jobs_ftjob-cut.json"))
                        .anySatisfy(n -> assertThat(n).endsWith("files_file-lost.json"));
            }
            JsonNode cut = get(http, s, "/fine_tuning/jobs/ftjob-cut");
            assertThat(cut.path("status").asText()).isEqualTo("failed");
            assertThat(cut.path("error").path("message").asText()).contains("could not be read").contains("quarantine/");
            JsonNode gone = get(http, s, "/fine_tuning/jobs/ftjob-gone");
            assertThat(gone.path("status").asText()).isEqualTo("failed");
            assertThat(gone.path("error").path("message").asText()).contains("ft:ref-s1:ftjob-gone").contains("missing");
            assertThat(get(http, s, "/fine_tuning/jobs/ftjob-done").path("status").asText()).isEqualTo("cancelled");
            assertThat(get(http, s, "/files").path("data")).hasSize(1);
            assertThat(get(http, s, "/files/file-good").path("bytes").asInt()).isEqualTo(data.length);
            assertThat(s.modelIds()).containsExactly("ref-s1");
            HttpResponse<String> chat = http.send(HttpRequest.newBuilder(URI.create(s.baseUrl() + "/chat/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"ref-s1\",\"max_tokens\":3,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(chat.statusCode()).isEqualTo(200);
        }
        // The failed records were rewritten whole: a second start quarantines nothing more.
        ByteArrayOutputStream again = new ByteArrayOutputStream();
        try (OwletServer s = OwletServer.start(List.of(ref), "127.0.0.1", 0, null,
                OwletServer.Options.state(state).withLog(new PrintStream(again, true, StandardCharsets.UTF_8)))) {
            assertThat(again.toString(StandardCharsets.UTF_8)).doesNotContain("quarantined");
            assertThat(get(http, s, "/fine_tuning/jobs/ftjob-cut").path("status").asText()).isEqualTo("failed");
        }
    }

    private static JsonNode get(HttpClient http, OwletServer s, String path) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(s.baseUrl() + path)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(path + ": " + r.body()).isEqualTo(200);
        return JSON.readTree(r.body());
    }
}
