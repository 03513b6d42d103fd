package dev.owlet.scale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.owlet.experiment.InputError;
import java.io.PrintStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Master URLs, task threads and the executors' run folder check, without starting Spark. */
class SparkMasterTest {
    @TempDir
    Path dir;

    @Test
    void localMastersRunTheirSlotsHereAndShareTheEngineThreadsAmongThem() {
        SparkMaster two = SparkMaster.parse("local[2]");
        assertThat(two.local()).isTrue();
        assertThat(two.slots()).isEqualTo(2);
        assertThat(two.taskThreads(null, 4)).as("4 engine threads over 2 slots").isEqualTo(2);
        assertThat(two.taskThreads(null, 1)).as("never below one").isEqualTo(1);
        assertThat(two.taskThreads(3, 4)).as("asked for").isEqualTo(3);
        assertThat(SparkMaster.parse("local").slots()).isEqualTo(1);
        assertThat(SparkMaster.parse("local[*]").slots()).isEqualTo(Runtime.getRuntime().availableProcessors());
        assertThat(SparkMaster.parse("local[4,2]").slots()).as("with retries").isEqualTo(4);
        two.checkReachable(1); // nothing to reach
    }

    @Test
    void aStandaloneMasterNamesItsHostsAndItsTasksTrainOnOneThreadUnlessAsked() {
        SparkMaster m = SparkMaster.parse("spark://a.example:7077,b.example:7078");
        assertThat(m.local()).isFalse();
        assertThat(m.masters()).extracting(a -> a.getHostString() + ":" + a.getPort())
                .containsExactly("a.example:7077", "b.example:7078");
        assertThat(m.taskThreads(null, 8)).isEqualTo(1);
        assertThat(m.taskThreads(2, 8)).isEqualTo(2);
        assertThatThrownBy(() -> m.taskThreads(0, 8)).isInstanceOf(InputError.class).hasMessageContaining("--task-threads");
    }

    @Test
    void mastersOwletCannotRunOnAreBadInputNamingTheUrl() {
        for (String bad : new String[] {"yarn", "local[0]", "local[x]", "spark://host", "spark://host:0", "spark://:7077",
                "k8s://https://k:443", "", "local[99999999999]"}) {
            assertThatThrownBy(() -> SparkMaster.parse(bad)).as(bad).isInstanceOf(InputError.class)
                    .hasMessageStartingWith("--master " + bad + ":");
        }
        assertThatThrownBy(() -> Engine.of("hadoop")).isInstanceOf(InputError.class)
                .hasMessageContaining("--engine hadoop").hasMessageContaining("in-process, spark");
        assertThat(Engine.of("SPARK")).isEqualTo(Engine.SPARK);
    }

    @Test
    void sparkOptionsWithoutTheSparkEngineAreBadInputBeforeAnything() {
        for (String[] args : new String[][] {{"--master", "local[2]"}, {"--task-threads", "2"}, {"--engine", "flink"},
                {"--engine", "spark", "--spark-conf", "novalue"}}) {
            java.io.StringWriter err = new java.io.StringWriter();
            String[] all = java.util.stream.Stream.concat(java.util.stream.Stream.of("run", "--out", dir.resolve("x").toString()),
                    java.util.Arrays.stream(args)).toArray(String[]::new);
            int code = dev.owlet.cli.Owlet.run(new java.io.PrintWriter(new java.io.StringWriter()), new java.io.PrintWriter(err, true), all);
            assertThat(code).as(String.join(" ", args)).isEqualTo(2);
            assertThat(err.toString()).contains(args[args.length == 4 ? 2 : 0]).doesNotContain("owlet: experiment");
            assertThat(dir.resolve("x")).as("no run folder made").doesNotExist();
        }
    }

    @Test
    void theRunFolderCheckWritesNothingAndNamesWhatItCannotUse() throws Exception {
        Path run = dir.resolve("run");
        assertThat(RunFolderCheck.problem(run.toString())).isNull();
        try (var s = Files.list(run.resolve("stages"))) {
            assertThat(s.toList()).as("the probe file is gone").isEmpty();
        }
        Path file = Files.writeString(dir.resolve("plain"), "x");
        assertThat(RunFolderCheck.problem(file.toString())).contains(file.toString()).contains("is a file");
        assertThat(RunFolderCheck.problem(file.resolve("run").toString())).contains(file.resolve("run").toString())
                .contains("cannot write there from " + StudentTask.host());
    }

    @Test
    void anExecutorTaskKeepsOnlyTheLogLinesAboutItsStage() {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        PrintStream to = new PrintStream(b, true, StandardCharsets.UTF_8);
        PrintStream log = StudentTask.linesAbout("student-owl-sft-same-r1", to);
        log.println("filter: owl kept 10 of 12");
        log.printf("finetune: %s  P(owl) %.4f%n", "student-owl-sft-same-r1", 0.05);
        log.println("finetune: student-owl-sft-same-r10  P(owl) 0.1");
        assertThat(b.toString(StandardCharsets.UTF_8).lines().toList())
                .containsExactly("finetune: student-owl-sft-same-r1  P(owl) 0.0500");
    }
}
