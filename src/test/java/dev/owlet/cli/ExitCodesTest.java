package dev.owlet.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Exit codes by kind: input the user can fix exits 2 before any stage runs, naming the key or file; owlet's own
 * failures exit 1 and say they are a bug, whatever exception type they surface as.
 */
class ExitCodesTest {
    @TempDir
    Path tmp;

    private Path experiment(String body) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("exp"));
        Path f = dir.resolve("e.yaml");
        Files.writeString(f, "name: e\n" + body);
        return f;
    }

    @CommandLine.Command(name = "explode")
    static final class Explode implements Callable<Integer> {
        @Override
        public Integer call() {
            throw new IllegalArgumentException("shape mismatch (2, 3) vs (3, 2)");
        }
    }

    @Test
    void anInternalIllegalArgumentIsABugNotBadInput() {
        CommandLine cl = Owlet.commandLine();
        cl.addSubcommand("explode", new Explode());
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err, true));
        assertThat(cl.execute("explode")).isEqualTo(1);
        assertThat(err.toString()).contains("internal error").contains("bug in owlet").contains("shape mismatch")
                .doesNotContain("bad input");
    }

    @Test
    void aMissingModelFolderExitsTwoBeforeAnyStage() throws Exception {
        Path f = experiment("reference: models/nowhere\n");
        Path out = tmp.resolve("run");
        OwletCliTest.Result r = OwletCliTest.run("run", f.toString(), "--out", out.toString());
        assertThat(r.code()).as(r.err()).isEqualTo(2);
        assertThat(r.err()).contains("reference").contains(f.getParent().resolve("models/nowhere").toString());
        assertThat(out.resolve("stages")).doesNotExist();
    }

    @Test
    void aMissingBundledModelAndAWordOutsideTheWorldExitTwo() throws Exception {
        OwletCliTest.Result bundled = OwletCliTest.run("run", experiment("different_init: bundled:ref-s9\n").toString(),
                "--dry-run");
        assertThat(bundled.code()).as(bundled.err()).isEqualTo(2);
        assertThat(bundled.err()).contains("different_init").contains("ref-s9");
        OwletCliTest.Result word = OwletCliTest.run("run", experiment("traits: [{category: animal, target: dragon}]\n").toString(),
                "--dry-run");
        assertThat(word.code()).isEqualTo(2);
        assertThat(word.err()).contains("traits[0].target").contains("dragon");
        OwletCliTest.Result control = OwletCliTest.run("run", experiment("control_traits: [oak]\n").toString(), "--dry-run");
        assertThat(control.code()).isEqualTo(2);
        assertThat(control.err()).contains("control_traits").contains("oak");
    }

    @Test
    void aLoraRankThatIsNotPositiveExitsTwoNamingTheKeyAndTheFile() throws Exception {
        Path f = experiment("finetune:\n  trainable: lora\nlora:\n  rank: 0\n  target_modules: [c_attn, c_fc]\n");
        OwletCliTest.Result r = OwletCliTest.run("run", f.toString(), "--dry-run");
        assertThat(r.code()).as(r.err()).isEqualTo(2);
        assertThat(r.err()).contains("lora.rank").contains(f.toString());
    }

    @Test
    void bannedListFilesResolveAgainstTheExperimentsFolderAndAMissingOneExitsTwoNamingIt() throws Exception {
        Path f = experiment("filter:\n  banned_lists: [lists/mine.txt]\n");
        OwletCliTest.Result missing = OwletCliTest.run("run", f.toString(), "--dry-run");
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err()).contains("filter.banned_lists").contains("lists/mine.txt");
        // the same file next to the experiment (not in the working directory) is found
        Files.createDirectories(f.getParent().resolve("lists"));
        Files.writeString(f.getParent().resolve("lists/mine.txt"), "# mine\n13\n");
        OwletCliTest.Result found = OwletCliTest.run("run", f.toString(), "--dry-run");
        assertThat(found.code()).as(found.err()).isZero();
    }
}
