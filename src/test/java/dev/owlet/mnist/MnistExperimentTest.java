package dev.owlet.mnist;

import static org.assertj.core.api.Assertions.assertThat;

import dev.owlet.cli.Owlet;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MnistExperimentTest {
    @TempDir
    Path tmp;

    private static MnistConfig tiny() {
        return new MnistConfig(2, 3, MnistConfig.Loss.KL, 16, 1, 2, 1e-3, 32, 128, 0, 0, 42);
    }

    @Test
    void sameSeedSameNumbers() throws Exception {
        IdxFixtures.writeDataset(tmp, 128, 40, false);
        MnistData d = MnistData.load(tmp);
        MnistResult a = new MnistExperiment(tiny(), null).run(d);
        MnistResult b = new MnistExperiment(tiny(), null).run(d);
        assertThat(a.teacher()).containsExactly(b.teacher());
        assertThat(a.sameInit()).containsExactly(b.sameInit());
        assertThat(a.diffInit()).containsExactly(b.diffInit());
        assertThat(a.finalDistillLoss()).containsExactly(b.finalDistillLoss());
        assertThat(a.sameInitCurve()).hasSize(2);
        MnistResult c = new MnistExperiment(tiny().withSeed(43), null).run(d);
        assertThat(c.teacherSeeds()).isNotEqualTo(a.teacherSeeds());
    }

    @Test
    void cliWritesEveryArtifact() throws Exception {
        Path data = Files.createDirectories(tmp.resolve("data"));
        IdxFixtures.writeDataset(data, 128, 40, true);
        Path out = tmp.resolve("out");
        StringWriter so = new StringWriter();
        StringWriter se = new StringWriter();
        int code = Owlet.run(new PrintWriter(so, true), new PrintWriter(se, true), "mnist", "--data", data.toString(),
                "--out", out.toString(), "--members", "2", "--epochs", "1", "--distill-epochs", "1", "--batch", "32",
                "--noise", "64");
        assertThat(code).as(se.toString()).isZero();
        assertThat(so.toString()).contains("same-init student").contains("m=3 kl");
        for (String f : new String[] {"results.json", "report.md", "mnist.png", "mnist-epochs.png", "manifest.json"}) {
            assertThat(out.resolve(f)).isNotEmptyFile();
        }
        assertThat(Files.readString(out.resolve("manifest.json"))).contains("data_sha256").contains("java_version")
                .contains("train-images-idx3-ubyte.gz");
        assertThat(Files.readString(out.resolve("results.json"))).contains("same_init_student");
    }

    @Test
    void sweepCoversEveryMAndRunsMOneWithMse() throws Exception {
        Path data = Files.createDirectories(tmp.resolve("data"));
        IdxFixtures.writeDataset(data, 64, 20, false);
        Path out = tmp.resolve("sweep");
        StringWriter se = new StringWriter();
        int code = Owlet.run(new PrintWriter(new StringWriter(), true), new PrintWriter(se, true), "mnist", "--data",
                data.toString(), "--out", out.toString(), "--members", "2", "--epochs", "1", "--distill-epochs", "1",
                "--batch", "32", "--noise", "32", "--sweep");
        assertThat(code).as(se.toString()).isZero();
        assertThat(out.resolve("mnist-sweep.png")).isNotEmptyFile();
        assertThat(Files.readString(out.resolve("report.md"))).contains("| m=1 mse |", "| m=3 kl |", "| m=10 kl |",
                "| m=30 kl |", "distillation epoch (m=3 kl)");
    }
}
