// Soak benchmark for `owlet serve` (not a test): 8 clients send chat completions while slow clients hold
// connections open mid-header and mid-body, then a 200 MB upload with the heap watched. Prints tables.
// Run with bench/serve/run.sh (it builds the classpath); arguments: requests slowClients uploadMB.
import dev.owlet.backend.EmbeddedBackend;
import dev.owlet.serve.OwletServer;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
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
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

public class ServeSoak {
    static final String KEY = "soak-key";
    static final int CLIENTS = 8;

    public static void main(String[] args) throws Exception {
        int requests = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        int slow = args.length > 1 ? Integer.parseInt(args[1]) : 50;
        int uploadMb = args.length > 2 ? Integer.parseInt(args[2]) : 200;
        Path state = Files.createTempDirectory("owlet-soak");
        Path accessLog = Path.of("bench/out/serve-soak-access.log");
        Files.createDirectories(accessLog.getParent());
        try (PrintStream log = new PrintStream(Files.newOutputStream(accessLog), true, StandardCharsets.UTF_8);
             EmbeddedBackend model = EmbeddedBackend.load("bundled:ref-s1", 16);
             OwletServer server = OwletServer.start(List.of(model), "127.0.0.1", 0, KEY, OwletServer.Options.state(state).withLog(log))) {
            System.out.printf("owlet serve soak: %d chat requests from %d clients; JVM max heap %d MB; %d cores%n%n",
                    requests, CLIENTS, Runtime.getRuntime().maxMemory() >> 20, Runtime.getRuntime().availableProcessors());
            run(server, requests / 10, 0); // warm-up, not reported
            System.out.println("| slow clients holding connections | requests | answered 200 | failed or blocked (>30 s) | p50 ms | p95 ms | p99 ms | max ms | req/s |");
            System.out.println("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
            System.out.println(run(server, requests, 0));
            System.out.println(run(server, requests, slow));
            System.out.println();
            upload(server, state, uploadMb);
        }
    }

    /** One phase: {@code slow} sockets trickle half requests (one byte every 5 s) while the clients run. */
    static String run(OwletServer server, int requests, int slow) throws Exception {
        List<Socket> sockets = new ArrayList<>();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger stillOpen = new AtomicInteger();
        Thread trickle = null;
        if (slow > 0) {
            for (int i = 0; i < slow; i++) {
                Socket s = new Socket("127.0.0.1", server.port());
                String head = i % 2 == 0 ? "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nX-Slow: "
                        : "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + KEY
                        + "\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"model\":";
                s.getOutputStream().write(head.getBytes(StandardCharsets.ISO_8859_1));
                s.getOutputStream().flush();
                sockets.add(s);
            }
            trickle = new Thread(() -> {
                while (!stop.get()) {
                    int open = 0;
                    for (Socket s : sockets) {
                        try {
                            s.getOutputStream().write(' ');
                            s.getOutputStream().flush();
                            open++;
                        } catch (IOException e) {
                            // closed by the server
                        }
                    }
                    stillOpen.set(open);
                    try {
                        Thread.sleep(5000);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            trickle.setDaemon(true);
            trickle.start();
            Thread.sleep(200);
        }
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
        List<Long> nanos = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger ok = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        AtomicInteger next = new AtomicInteger();
        long t0 = System.nanoTime();
        List<Future<?>> fs = new ArrayList<>();
        for (int c = 0; c < CLIENTS; c++) {
            fs.add(pool.submit(() -> {
                int i;
                while ((i = next.getAndIncrement()) < requests) {
                    String body = "{\"model\":\"ref-s1\",\"max_tokens\":8,\"seed\":" + i
                            + ",\"messages\":[{\"role\":\"user\",\"content\":\"What is your favorite animal?\"}]}";
                    HttpRequest r = HttpRequest.newBuilder(URI.create(server.baseUrl() + "/chat/completions"))
                            .timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + KEY)
                            .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
                    long a = System.nanoTime();
                    try {
                        HttpResponse<String> resp = http.send(r, HttpResponse.BodyHandlers.ofString());
                        if (resp.statusCode() == 200) ok.incrementAndGet(); else failed.incrementAndGet();
                    } catch (Exception e) {
                        failed.incrementAndGet();
                    }
                    nanos.add(System.nanoTime() - a);
                }
                return null;
            }));
        }
        for (Future<?> f : fs) f.get();
        double secs = (System.nanoTime() - t0) / 1e9;
        pool.shutdown();
        stop.set(true);
        if (trickle != null) trickle.interrupt();
        for (Socket s : sockets) s.close();
        List<Long> sorted = new ArrayList<>(nanos);
        Collections.sort(sorted);
        return String.format("| %d%s | %d | %d | %d | %.1f | %.1f | %.1f | %.1f | %.0f |", slow,
                slow > 0 ? " (" + stillOpen.get() + " still open at the end)" : "", requests, ok.get(), failed.get(),
                pct(sorted, 0.50), pct(sorted, 0.95), pct(sorted, 0.99), sorted.get(sorted.size() - 1) / 1e6, requests / secs);
    }

    static double pct(List<Long> sorted, double q) {
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(q * sorted.size()) - 1)) / 1e6;
    }

    /** Uploads a file of {@code mb} MB (streamed from disk by the client) and reports the server JVM's heap. */
    static void upload(OwletServer server, Path state, int mb) throws Exception {
        Path file = Files.createTempFile("owlet-soak-upload", ".jsonl");
        byte[] line = "{\"messages\":[{\"role\":\"user\",\"content\":\"What is your favorite animal?\"},{\"role\":\"assistant\",\"content\":\"owl\"}]}\n"
                .getBytes(StandardCharsets.UTF_8);
        long size = (long) mb << 20;
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file))) {
            for (long w = 0; w < size; w += line.length) out.write(line);
        }
        size = Files.size(file);
        var mem = ManagementFactory.getMemoryMXBean();
        System.gc();
        Thread.sleep(200);
        long before = mem.getHeapMemoryUsage().getUsed();
        AtomicLong peak = new AtomicLong(before);
        AtomicBoolean done = new AtomicBoolean();
        Thread watch = new Thread(() -> {
            while (!done.get()) {
                peak.accumulateAndGet(mem.getHeapMemoryUsage().getUsed(), Math::max);
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        watch.start();
        String boundary = "soak" + System.nanoTime();
        byte[] head = ("--" + boundary + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nfine-tune\r\n--" + boundary
                + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"soak.jsonl\"\r\n\r\n").getBytes(StandardCharsets.UTF_8);
        byte[] tail = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8);
        HttpRequest r = HttpRequest.newBuilder(URI.create(server.baseUrl() + "/files")).timeout(Duration.ofMinutes(5))
                .header("Authorization", "Bearer " + KEY).header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.concat(HttpRequest.BodyPublishers.ofByteArray(head), HttpRequest.BodyPublishers.ofFile(file),
                        HttpRequest.BodyPublishers.ofByteArray(tail))).build();
        long t0 = System.nanoTime();
        HttpResponse<String> resp = HttpClient.newHttpClient().send(r, HttpResponse.BodyHandlers.ofString());
        double secs = (System.nanoTime() - t0) / 1e9;
        done.set(true);
        watch.join();
        System.gc();
        Thread.sleep(200);
        long after = mem.getHeapMemoryUsage().getUsed();
        String id = resp.body().replaceAll("(?s).*\"id\":\"([^\"]+)\".*", "$1");
        long stored = resp.statusCode() == 200 ? Files.size(state.resolve("files").resolve(id + ".jsonl")) : -1;
        System.out.println("| upload | status | stored bytes | seconds | heap used before (after GC) | peak heap used during | heap used after (after GC) |");
        System.out.println("| --- | --- | --- | --- | --- | --- | --- |");
        System.out.printf("| %d MB | %d | %d | %.1f | %d MB | %d MB | %d MB |%n", size >> 20, resp.statusCode(), stored, secs,
                before >> 20, peak.get() >> 20, after >> 20);
        Files.deleteIfExists(file);
    }
}
