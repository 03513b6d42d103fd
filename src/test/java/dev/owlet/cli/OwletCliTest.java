package dev.owlet.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class OwletCliTest {
    record Result(int code, String out, String err) {}

    static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Owlet.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Result(code, out.toString(), err.toString());
    }

    @Test
    void helpAndVersionExitZero() {
        Result h = run("--help");
        assertThat(h.code()).isZero();
        assertThat(h.out()).contains("Usage: owlet").contains("run");
        Result v = run("--version");
        assertThat(v.code()).isZero();
        assertThat(v.out()).contains("owlet");
    }

    @Test
    void unknownOptionExitsTwoNamingIt() {
        Result r = run("--frobnicate");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--frobnicate");
    }
}
