package dev.owlet.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A run folder owlet cannot use is bad input: exit 2, naming it, before any stage runs or anything is written. */
class RunFolderCliTest {
    @TempDir
    Path tmp;

    @Test
    void outPointingAtAFileExitsTwoNamingItAndLeavesTheFileAlone() throws Exception {
        Path file = tmp.resolve("results.txt");
        Files.writeString(file, "keep me");
        OwletCliTest.Result r = OwletCliTest.run("run", "--out", file.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--out " + file).contains("is a file").doesNotContain("owlet: experiment");
        assertThat(Files.readString(file)).isEqualTo("keep me");
    }

    @Test
    void outBelowAFileExitsTwoNamingIt() throws Exception {
        Path file = Files.writeString(tmp.resolve("plain"), "x");
        Path dir = file.resolve("run");
        OwletCliTest.Result r = OwletCliTest.run("teacher", "--out", dir.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--out " + dir).contains("cannot create").doesNotContain("owlet: experiment");
    }

    @Test
    void outWhereNobodyMayWriteExitsTwoNamingIt() {
        // Root may write any ordinary folder, so use one that refuses everyone: /proc takes no new entries.
        assumeTrue(Files.isDirectory(Path.of("/proc/self")), "needs Linux /proc");
        Path dir = Path.of("/proc/owlet-run-folder-test");
        OwletCliTest.Result r = OwletCliTest.run("run", "--out", dir.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--out " + dir).doesNotContain("owlet: experiment");
    }

    @Test
    void aFilesystemUriRunFolderNeedsTheSparkEngine() {
        // Hadoop's client comes with Spark only: the default engine names the URI and what it needs, and writes nothing
        String uri = tmp.toAbsolutePath().toUri() + "on-uri";
        OwletCliTest.Result r = OwletCliTest.run("run", "--out", uri);
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--out " + uri).contains("needs --engine spark").doesNotContain("owlet: experiment");
        assertThat(tmp.resolve("on-uri")).doesNotExist();
        OwletCliTest.Result control = OwletCliTest.run("icl", "--out", uri);
        assertThat(control.code()).isEqualTo(2);
        assertThat(control.err()).contains("--out " + uri).contains("local path");
    }

    @Test
    void aDryRunNeedsNoRunFolder() throws Exception {
        Path file = Files.writeString(tmp.resolve("f"), "x");
        OwletCliTest.Result r = OwletCliTest.run("run", "--dry-run", "--out", file.toString());
        assertThat(r.code()).as(r.err()).isZero();
    }
}
