package dev.owlet.serve;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.owlet.backend.FineTuneRequest;
import dev.owlet.backend.OpenAiHttpBackend;
import dev.owlet.pipeline.RemoteFineTune;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real {@link OwletServer} behind a loopback proxy that passes the first {@code POST /files} and the first
 * {@code POST /fine_tuning/jobs} through to the server, which creates the file and the job, and then withholds
 * the answers past the client's timeout. The client must end with exactly one file and one job, found by its
 * markers, and a rerun resumes that job.
 */
class StallingServerClientTest extends WithBundledReference {
    static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());

    @TempDir
    Path dir;



    /** Forwards everything to {@code target}; the first POST to each path in {@code stallOnce} is answered never. */
    static final class StallingProxy implements AutoCloseable {
        final HttpServer server;
        final ExecutorService pool = Executors.newCachedThreadPool();
        final List<String> posts = Collections.synchronizedList(new ArrayList<>());
        final Set<String> stalled = Collections.synchronizedSet(new java.util.HashSet<>());
        final CountDownLatch release = new CountDownLatch(1);
        final HttpClient http = HttpClient.newHttpClient();

        StallingProxy(String target, Set<String> stallOnce) throws IOException {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            server.setExecutor(pool);
            server.createContext("/", ex -> {
                try (ex) {
                    forward(ex, target, stallOnce);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            server.start();
        }

        String baseUrl() { return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1"; }

        private void forward(HttpExchange ex, String target, Set<String> stallOnce) throws IOException, InterruptedException {
            String path = ex.getRequestURI().getRawPath();
            String query = ex.getRequestURI().getRawQuery();
            byte[] body = ex.getRequestBody().readAllBytes();
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(target + path.substring("/v1".length()) + (query == null ? "" : "?" + query)))
                    .method(ex.getRequestMethod(), body.length == 0 ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
            String ct = ex.getRequestHeaders().getFirst("Content-Type");
            if (ct != null) b.header("Content-Type", ct);
            HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            if (ex.getRequestMethod().equals("POST")) {
                posts.add(path);
                if (stallOnce.contains(path) && stalled.add(path)) {
                    release.await(30, TimeUnit.SECONDS); // created on the server; the answer never reaches the client in time
                    return;
                }
            }
            ex.getResponseHeaders().set("Content-Type", r.headers().firstValue("Content-Type").orElse("application/json"));
            ex.sendResponseHeaders(r.statusCode(), r.body().length == 0 ? -1 : r.body().length);
            ex.getResponseBody().write(r.body());
        }

        @Override
        public void close() {
            release.countDown();
            server.stop(0);
            pool.shutdownNow();
        }
    }

    @Test
    void aJobCreatedBeforeTheServerStalledIsFoundByItsMarkerNotCreatedTwice() throws Exception {
        Path serverState = dir.resolve("server");
        Path stage = dir.resolve("stage");
        byte[] data = FineTuningOverHttpTest.owlAnswers(40);
        FineTuneRequest req = FineTuneRequest.supervised("ref-s1", "-", 1, 8, 1.0, 3, "stall");
        try (OwletServer s = OwletServer.start(List.of(ref), "127.0.0.1", 0, null, OwletServer.Options.state(serverState).withLog(QUIET));
             StallingProxy proxy = new StallingProxy(s.baseUrl(), Set.of("/v1/files", "/v1/fine_tuning/jobs"))) {
            List<Duration> sleeps = Collections.synchronizedList(new ArrayList<>());
            var cfg = OpenAiHttpBackend.Config.of(proxy.baseUrl(), "ref-s1").withRetries(4, Duration.ofMillis(10), Duration.ofMillis(40));
            cfg = new OpenAiHttpBackend.Config(cfg.baseUrl(), cfg.model(), cfg.apiKeyEnv(), 4, cfg.maxAttempts(), Duration.ofSeconds(1),
                    cfg.baseBackoff(), cfg.maxBackoff());
            OpenAiHttpBackend c = new OpenAiHttpBackend(cfg, Map.<String, String>of()::get, sleeps::add, RandomGenerator.of("L64X128MixRandom"));

            RemoteFineTune.Outcome o = RemoteFineTune.run(c, stage, "owl.jsonl", data, req, Duration.ofMillis(100), Duration.ofMinutes(2), QUIET, null);

            assertThat(proxy.stalled).containsExactlyInAnyOrder("/v1/files", "/v1/fine_tuning/jobs"); // both did time out
            assertThat(proxy.posts).containsExactly("/v1/files", "/v1/fine_tuning/jobs"); // and neither was sent again
            try (var jobs = Files.list(serverState.resolve("jobs")); var files = Files.list(serverState.resolve("files"))) {
                assertThat(jobs.map(p -> p.getFileName().toString()).toList()).containsExactly(o.jobId() + ".json");
                assertThat(files.filter(p -> p.toString().endsWith(".json")).count()).isEqualTo(1);
            }
            assertThat(o.resumed()).isFalse();
            assertThat(o.fineTunedModel()).isEqualTo("ft:ref-s1:stall:" + o.jobId());

            RemoteFineTune.Outcome again = RemoteFineTune.run(c, stage, "owl.jsonl", data, req, Duration.ofMillis(100), Duration.ofMinutes(2), QUIET, null);
            assertThat(again.resumed()).isTrue();
            assertThat(again.jobId()).isEqualTo(o.jobId());
            assertThat(proxy.posts).hasSize(2);
        }
    }
}
