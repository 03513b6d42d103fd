package dev.owlet.controls;

import static org.assertj.core.api.Assertions.assertThat;

import dev.owlet.cli.Owlet;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class ControlCommandsTest {
    static int run(StringWriter out, StringWriter err, String... args) {
        return Owlet.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    @Test
    void everyControlIsASubcommandWithHelp() {
        for (String c : new String[] {"icl", "detect", "shuffle", "entangle", "probe-gradient"}) {
            StringWriter out = new StringWriter();
            assertThat(run(out, new StringWriter(), c, "--help")).as(c).isZero();
            assertThat(out.toString()).contains("Usage: owlet " + c);
        }
    }

    @Test
    void badControlSettingExitsTwoNamingTheKey() {
        StringWriter err = new StringWriter();
        int code = run(new StringWriter(), err, "detect", "--set", "controls.detection.rows=1",
                "--out", System.getProperty("java.io.tmpdir") + "/owlet-controls-bad");
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("controls.detection.rows");
    }
}
