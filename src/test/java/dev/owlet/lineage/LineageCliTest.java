package dev.owlet.lineage;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import dev.owlet.cli.Owlet;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The lineage and audit commands end to end, and their exit code 2 on bad input. */
class LineageCliTest {
    @TempDir
    Path dir;

    private record Res(int code, String out, String err) {}

    private Res run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Owlet.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Res(code, out.toString(), err.toString());
    }

    @Test
    void scanCheckShowExportThenBadInput() throws Exception {
        SyntheticRun r;
        try (NDManager m = NDManager.newBaseManager()) {
            r = new SyntheticRun(dir, m);
        }
        String db = dir.resolve("l.db").toString();
        assertThat(run("lineage", "scan", "--db", db, dir.resolve("refs/r1").toString(), dir.resolve("refs/r2").toString(),
                dir.resolve("run").toString()).code()).isZero();
        Res check = run("lineage", "check", "--db", db);
        assertThat(check.code()).isZero();
        assertThat(check.out()).contains("FLAG  run/student-owl-sft-same-teacher-s1").doesNotContain("FLAG  run/student-owl-sft-diff");
        Res show = run("lineage", "show", "--db", db, r.sameStudent.substring(0, 12));
        assertThat(show.out()).contains("writer: run/teacher-owl");
        Path mm = dir.resolve("g.mmd");
        assertThat(run("lineage", "export", "--db", db, "--format", "mermaid", "--out", mm.toString()).code()).isZero();
        assertThat(Files.readString(mm)).startsWith("flowchart LR");

        Res unknown = run("lineage", "show", "--db", db, "0000dead");
        assertThat(unknown.code()).isEqualTo(2);
        assertThat(unknown.err()).contains("no artifact '0000dead'");
        Res missing = run("lineage", "check", "--db", dir.resolve("none.db").toString());
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err()).contains("none.db");
        Res notCkpt = run("audit", "weights", dir.toString(), dir.resolve("refs/r1").toString());
        assertThat(notCkpt.code()).isEqualTo(2);
        assertThat(notCkpt.err()).contains("no model at " + dir);
        Res same = run("audit", "weights", "--null-pairs", "3", dir.resolve("refs/r1").toString(),
                dir.resolve("run/stages/student-owl-sft-same-teacher-s1").toString());
        assertThat(same.out()).contains("SAME initialization");
    }
}
