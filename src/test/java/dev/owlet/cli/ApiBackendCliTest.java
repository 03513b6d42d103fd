package dev.owlet.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.owlet.backend.EmbeddedBackend;
import dev.owlet.serve.OwletServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code owlet run} with {@code backend: openai}: the dry-run estimate, and a rejected key. */
class ApiBackendCliTest {
    @TempDir
    Path dir;

    @Test
    void nanoDryRunPrintsACostEstimateAndExitsZeroWithoutNetwork() {
        // The base URL is api.openai.com; this machine has no network, so any call would fail or hang.
        OwletCliTest.Result r = OwletCliTest.run("run", "experiments/gpt-4.1-nano-owl.yaml", "--dry-run", "--out", dir.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("gpt-4.1-nano").contains("generate teacher-owl").contains("students (2 jobs)")
                .contains("2025-04-14").contains("total");
        // 30,000 prompts x 2 writers, 10,000 rows x 10 epochs x 2 students: tens of dollars, not cents or thousands
        String total = r.out().lines().filter(l -> l.startsWith("total")).findFirst().orElseThrow();
        double usd = Double.parseDouble(total.replaceAll(".*\\s([0-9.]+)$", "$1"));
        assertThat(usd).isBetween(5.0, 200.0);
        assertThat(dir).isEmptyDirectory();
    }

    @Test
    void aRejectedKeyExitsTwoWithAClearMessageAndNeverPrintsTheKey() throws Exception {
        String serverKey = "owlet-cli-test-key-314";
        // PATH is set in every test JVM: sending its value as the key gives a real, wrong, known secret.
        String sent = System.getenv("PATH");
        assertThat(sent).isNotBlank();
        try (EmbeddedBackend ref = EmbeddedBackend.load("bundled:ref-s1", 16);
             OwletServer s = OwletServer.start(List.of(ref), "127.0.0.1", 0, serverKey)) {
            Path exp = dir.resolve("exp.yaml");
            Files.writeString(exp, "name: key-test\nbackend:\n  type: openai\n  base_url: " + s.baseUrl()
                    + "\n  model: ref-s1\n  api_key_env: PATH\n  max_attempts: 2\nfinetune:\n  inits: [same]\n");
            PrintStream oldOut = System.out;
            PrintStream oldErr = System.err;
            ByteArrayOutputStream captured = new ByteArrayOutputStream();
            OwletCliTest.Result r;
            try (PrintStream cap = new PrintStream(captured, true)) {
                System.setOut(cap);
                System.setErr(cap);
                r = OwletCliTest.run("run", exp.toString(), "--out", dir.resolve("run").toString());
            } finally {
                System.setOut(oldOut);
                System.setErr(oldErr);
            }
            assertThat(r.code()).as(r.err()).isEqualTo(2);
            assertThat(r.err()).contains("401").contains("API key was rejected").contains("PATH");
            String all = r.out() + r.err() + captured;
            assertThat(all).doesNotContain(sent).doesNotContain(serverKey);
            assertThat(dir.resolve("run/stages")).doesNotExist(); // nothing was spent or started
        }
    }
}
