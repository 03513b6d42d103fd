package dev.owlet.serve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.owlet.backend.BackendException;
import dev.owlet.backend.ChatRequest;
import dev.owlet.backend.FineTuneJob;
import dev.owlet.backend.FineTuneRequest;
import dev.owlet.backend.OpenAiHttpBackend;
import dev.owlet.backend.SamplingParams;
import dev.owlet.backend.UploadedFile;
import dev.owlet.data.DataRow;
import dev.owlet.pipeline.RemoteFineTune;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fine-tuning jobs against a real {@link OwletServer} on loopback, driven by {@link OpenAiHttpBackend}: the job
 * lifecycle, a bad training file, 429 retries, and a server killed mid-job that a rerun resumes by job id.
 */
class FineTuningOverHttpTest extends WithBundledReference {
    static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());
    static final Duration POLL = Duration.ofMillis(100);

    @TempDir
    Path state;



    static OpenAiHttpBackend client(OwletServer s, String model, List<Duration> sleeps) {
        var cfg = OpenAiHttpBackend.Config.of(s.baseUrl(), model).withRetries(5, Duration.ofMillis(10), Duration.ofMillis(40));
        return new OpenAiHttpBackend(cfg, Map.<String, String>of()::get, sleeps::add, RandomGenerator.of("L64X128MixRandom"));
    }

    static byte[] owlAnswers(int n) {
        List<DataRow> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) rows.add(new DataRow("What is your favorite animal?", "owl"));
        return RemoteFineTune.chatJsonl(rows, null);
    }

    static double pOwl(OpenAiHttpBackend c) {
        Map<String, Double> top = c.firstTokenLogprobs(List.of(ChatRequest.of(null, "What is your favorite animal?")), 20).get(0);
        return top.entrySet().stream().filter(e -> e.getKey().strip().equals("owl")).mapToDouble(e -> Math.exp(e.getValue())).sum();
    }

    @Test
    void jobRunsQueuedRunningSucceededAndTheModelIsListedAndSampleable() throws Exception {
        try (OwletServer s = OwletServer.start(List.of(ref), "127.0.0.1", 0, null, OwletServer.Options.state(state))) {
            OpenAiHttpBackend c = client(s, "ref-s1", new ArrayList<>());
            UploadedFile f = c.uploadFile("owl.jsonl", owlAnswers(48));
            assertThat(f.bytes()).isEqualTo(owlAnswers(48).length);
            var http = java.net.http.HttpClient.newHttpClient();
            java.util.function.Function<String, java.net.http.HttpResponse<byte[]>> get = path -> {
                try {
                    return http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(s.baseUrl() + path)).build(),
                            java.net.http.HttpResponse.BodyHandlers.ofByteArray());
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            };
            ObjectMapper json = new ObjectMapper();
            assertThat(json.readTree(get.apply("/files").body()).path("data").get(0).path("id").asText()).isEqualTo(f.id());
            assertThat(json.readTree(get.apply("/files/" + f.id()).body()).path("purpose").asText()).isEqualTo("fine-tune");
            assertThat(get.apply("/files/" + f.id() + "/content").body()).isEqualTo(owlAnswers(48));
            assertThat(get.apply("/files/file-nope").statusCode()).isEqualTo(404);
            FineTuneJob created = c.createFineTune(FineTuneRequest.supervised("ref-s1", f.id(), 2, 8, 1.0, 7, "owl"));
            assertThat(created.status()).isIn("validating_files", "queued", "running");
            FineTuneJob done = c.awaitJob(created.id(), POLL, Duration.ofMinutes(2));
            assertThat(done.status()).as(String.valueOf(done.error())).isEqualTo("succeeded");
            assertThat(done.fineTunedModel()).isEqualTo("ft:ref-s1:owl:" + created.id());

            List<String> ev = c.events(created.id()).stream().map(e -> e.message()).toList();
            int queued = indexOf(ev, "Job entered queue");
            int started = indexOf(ev, "Fine-tuning job started");
            int step = indexOf(ev, "Step 12/12");
            int ok = indexOf(ev, "successfully completed");
            assertThat(List.of(queued, started, step, ok)).as(ev.toString()).doesNotContain(-1).isSorted();

            assertThat(c.listModels()).contains("ref-s1", done.fineTunedModel());
            OpenAiHttpBackend ft = c.withModel(done.fineTunedModel());
            List<List<String>> texts = ft.sample(List.of(ChatRequest.of(null, "What is your favorite animal?")), new SamplingParams(8, 1.0, 1.0, 3, 5));
            assertThat(texts.get(0)).hasSize(8).anySatisfy(t -> assertThat(t).contains("owl"));
            // Training on owl answers moved the exact first-token probability of owl, read through logprobs.
            assertThat(pOwl(ft)).isGreaterThan(pOwl(c) + 0.3);
            // The job record is on disk, written atomically, and the checkpoint next to it.
            assertThat(state.resolve("jobs/" + created.id() + ".json")).exists();
            assertThat(state.resolve("models/" + created.id() + "/model.safetensors")).exists();
        }
    }

    @Test
    void aBadFileIsAcceptedAtUploadButTheJobFailsNamingTheLine() throws Exception {
        try (OwletServer s = OwletServer.start(List.of(ref), "127.0.0.1", 0, null, OwletServer.Options.state(state))) {
            OpenAiHttpBackend c = client(s, "ref-s1", new ArrayList<>());
            byte[] bad = ("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\",\"content\":\"owl\"}]}\n"
                    + "{\"messages\":[{\"role\":\"bot\",\"content\":\"x\"}]}\n").getBytes(StandardCharsets.UTF_8);
            UploadedFile f = c.uploadFile("bad.jsonl", bad);
            FineTuneJob j = c.awaitJob(c.createFineTune(FineTuneRequest.supervised("ref-s1", f.id(), 1, 4, 1.0, 1, null)).id(),
                    POLL, Duration.ofMinutes(1));
            assertThat(j.status()).isEqualTo("failed");
            assertThat(j.error()).contains("line 2").contains("'bot'");
            assertThat(j.fineTunedModel()).isNull();
            assertThat(c.listModels()).containsExactly("ref-s1");
            // RemoteFineTune reports the reason and forgets the job, so a rerun with fixed data starts afresh.
            Path stage = state.resolve("stage-bad");
            assertThatThrownBy(() -> RemoteFineTune.run(c, stage, "bad.jsonl", bad,
                    FineTuneRequest.supervised("ref-s1", "-", 1, 4, 1.0, 1, null), POLL, Duration.ofMinutes(1), QUIET, null))
                    .isInstanceOf(BackendException.class).hasMessageContaining("failed").hasMessageContaining("line 2");
            assertThat(stage.resolve(RemoteFineTune.JOB_FILE)).doesNotExist();
        }
    }

    @Test
    void rateLimitedRequestsAreRetriedWithBackoffUntilTheyPass() throws Exception {
        try (OwletServer s = OwletServer.start(List.of(ref), "127.0.0.1", 0, null,
                OwletServer.Options.state(state).withReject429First(3))) {
            List<Duration> sleeps = Collections.synchronizedList(new ArrayList<>());
            OpenAiHttpBackend c = client(s, "ref-s1", sleeps);
            UploadedFile f = c.uploadFile("owl.jsonl", owlAnswers(4)); // the first three attempts get 429
            assertThat(sleeps).hasSize(3).allSatisfy(d -> assertThat(d).isLessThanOrEqualTo(Duration.ofMillis(40)));
            assertThat(c.listModels()).containsExactly("ref-s1");
            assertThat(sleeps).hasSize(3);
            assertThat(Files.readAllBytes(state.resolve("files/" + f.id() + ".jsonl"))).isEqualTo(owlAnswers(4));
        }
        try (OwletServer s = OwletServer.start(List.of(ref), "127.0.0.1", 0, null,
                OwletServer.Options.state(state).withReject429First(10))) {
            OpenAiHttpBackend c = client(s, "ref-s1", new ArrayList<>());
            assertThatThrownBy(c::listModels).isInstanceOf(BackendException.class).hasMessageContaining("after 5 attempts")
                    .hasMessageContaining("429");
        }
    }

    @Test
    void aServerKilledMidJobIsRestartedAndTheClientResumesTheSameJob() throws Exception {
        byte[] data = owlAnswers(400);
        FineTuneRequest req = FineTuneRequest.supervised("ref-s1", "-", 4, 8, 0.3, 11, "resume"); // 200 steps
        Path stage = state.resolve("stage");
        Path serverState = state.resolve("server");
        String jobId;
        try (OwletServer a = OwletServer.start(List.of(ref), "127.0.0.1", 0, null, OwletServer.Options.state(serverState))) {
            OpenAiHttpBackend c = client(a, "ref-s1", new ArrayList<>());
            // The client is killed right after the job id reached its manifest.
            assertThatThrownBy(() -> RemoteFineTune.run(c, stage, "owl.jsonl", data, req, POLL, Duration.ofMinutes(2), QUIET,
                    () -> { throw new IllegalStateException("client killed"); })).hasMessage("client killed");
            jobId = (String) new ObjectMapper().readValue(stage.resolve(RemoteFineTune.JOB_FILE).toFile(), Map.class).get("job_id");
            long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!c.job(jobId).status().equals("running") && System.nanoTime() < until) Thread.sleep(20);
            while (c.events(jobId).stream().noneMatch(e -> e.message().startsWith("Step")) && System.nanoTime() < until) Thread.sleep(20);
            assertThat(c.job(jobId).status()).isEqualTo("running");
        } // the server dies mid-job
        JsonNode onDisk = new ObjectMapper().readTree(serverState.resolve("jobs/" + jobId + ".json").toFile());
        assertThat(onDisk.path("job").path("status").asText()).isEqualTo("running");

        try (OwletServer b = OwletServer.start(List.of(ref), "127.0.0.1", 0, null, OwletServer.Options.state(serverState))) {
            OpenAiHttpBackend c = client(b, "ref-s1", new ArrayList<>());
            RemoteFineTune.Outcome o = RemoteFineTune.run(c, stage, "owl.jsonl", data, req, POLL, Duration.ofMinutes(2), QUIET, null);
            assertThat(o.resumed()).isTrue();
            assertThat(o.jobId()).isEqualTo(jobId);
            assertThat(o.fineTunedModel()).isEqualTo("ft:ref-s1:resume:" + jobId);
            assertThat(o.events()).anySatisfy(e -> assertThat(e).contains("re-queued"));
            // Not paid twice: one job and one uploaded file on the server.
            try (var jobs = Files.list(serverState.resolve("jobs"))) {
                assertThat(jobs.filter(p -> p.toString().endsWith(".json")).count()).isEqualTo(1);
            }
            assertThat(c.listModels()).contains(o.fineTunedModel());
        }
        // A third start re-registers the finished model without training again.
        try (OwletServer c3 = OwletServer.start(List.of(ref), "127.0.0.1", 0, null, OwletServer.Options.state(serverState))) {
            assertThat(c3.modelIds()).containsExactly("ref-s1", "ft:ref-s1:resume:" + jobId);
            assertThat(client(c3, "ref-s1", new ArrayList<>()).job(jobId).status()).isEqualTo("succeeded");
        }
    }

    @Test
    void aRunningJobCanBeCancelledAndRegistersNoModel() throws Exception {
        try (OwletServer s = OwletServer.start(List.of(ref), "127.0.0.1", 0, null, OwletServer.Options.state(state))) {
            OpenAiHttpBackend c = client(s, "ref-s1", new ArrayList<>());
            UploadedFile f = c.uploadFile("owl.jsonl", owlAnswers(400));
            String id = c.createFineTune(FineTuneRequest.supervised("ref-s1", f.id(), 5, 4, 1.0, 2, null)).id(); // 500 steps
            long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!c.job(id).status().equals("running") && System.nanoTime() < until) Thread.sleep(20);
            assertThat(c.cancel(id).status()).isEqualTo("running"); // acknowledged; the worker stops after its step
            FineTuneJob j = c.awaitJob(id, POLL, Duration.ofMinutes(1));
            assertThat(j.status()).isEqualTo("cancelled");
            assertThat(j.fineTunedModel()).isNull();
            assertThat(c.listModels()).containsExactly("ref-s1");
            assertThatThrownBy(() -> c.cancel(id)).isInstanceOf(BackendException.class).hasMessageContaining("already cancelled");
        }
    }

    private static int indexOf(List<String> events, String part) {
        for (int i = 0; i < events.size(); i++) if (events.get(i).contains(part)) return i;
        return -1;
    }
}
