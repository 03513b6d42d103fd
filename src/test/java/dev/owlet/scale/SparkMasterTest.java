package dev.owlet.scale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.owlet.experiment.InputError;
import java.io.PrintStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
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
        assertThat(RunFolderCheck.problem(run.toString(), Map.of())).isNull();
        try (var s = Files.list(run.resolve("stages"))) {
            assertThat(s.toList()).as("the probe file is gone").isEmpty();
        }
        Path file = Files.writeString(dir.resolve("plain"), "x");
        assertThat(RunFolderCheck.problem(file.toString(), Map.of())).contains(file.toString()).contains("is a file");
        assertThat(RunFolderCheck.problem(file.resolve("run").toString(), Map.of())).contains(file.resolve("run").toString())
                .contains("cannot write there from " + StudentTask.host());
    }

    @Test
    void aRunFolderUriIsToldFromAPathAndNormalized() {
        assertThat(RunFolderUri.looksLikeUri("hdfs://nn:8020/runs/a")).isTrue();
        assertThat(RunFolderUri.looksLikeUri("file:///shared/runs/a")).isTrue();
        assertThat(RunFolderUri.looksLikeUri("runs/a")).isFalse();
        assertThat(RunFolderUri.looksLikeUri("/tmp/runs/a:b")).isFalse();
        assertThat(RunFolderUri.looksLikeUri("C:/runs/a")).isFalse();
        assertThat(RunFolderUri.parse("hdfs://nn:8020/runs/a/").toString()).isEqualTo("hdfs://nn:8020/runs/a");
        assertThat(RunFolderUri.parse("s3a://bucket/runs/./a").child("report.md")).isEqualTo("s3a://bucket/runs/a/report.md");
        assertThatThrownBy(() -> RunFolderUri.parse("hdfs://nn:8020")).isInstanceOf(dev.owlet.experiment.InputError.class)
                .hasMessageContaining("--out hdfs://nn:8020").hasMessageContaining("folder path");
        assertThatThrownBy(() -> RunFolderUri.parse("hdfs://nn:8020/a b")).isInstanceOf(dev.owlet.experiment.InputError.class);
    }

    @Test
    void aStageIsPublishedWholeOrNotAtAllAndPulledOnlyWhenFinished() throws Exception {
        RunFolderUri uri = RunFolderUri.parse("file://" + dir.toAbsolutePath().resolve("remote"));
        HadoopStages remote = HadoopStages.open(uri, Map.of());
        assertThat(remote.problem()).isNull();
        Path local = dir.resolve("local/stages");
        Path stage = Files.createDirectories(local.resolve("gen-owl-r1"));
        Files.writeString(stage.resolve("raw.jsonl"), "{}\n");
        assertThatThrownBy(() -> remote.publish(stage)).hasMessageContaining("not finished");
        Files.writeString(stage.resolve("manifest.json"), "{\"key\": \"k1\"}");
        assertThat(remote.publish(stage)).isTrue();
        assertThat(remote.publish(stage)).as("there with the same key").isFalse();
        assertThat(remote.finished()).containsExactly("gen-owl-r1");
        assertThat(remote.key("gen-owl-r1")).isEqualTo("k1");
        Path remoteStages = dir.resolve("remote/stages");
        try (var s = Files.list(remoteStages)) {
            assertThat(s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".") && !n.endsWith(".crc")).toList())
                    .as("no temporary folder left").isEmpty();
        }
        // a half-upload under its temporary name, and a folder without its manifest: neither is finished
        Files.createDirectories(remoteStages.resolve(".teacher-owl.upload-killed-1"));
        Files.writeString(remoteStages.resolve(".teacher-owl.upload-killed-1/manifest.json"), "{\"key\": \"k2\"}");
        Files.createDirectories(remoteStages.resolve("filter-owl-r1"));
        assertThat(remote.finished()).containsExactly("gen-owl-r1");
        Path pulled = dir.resolve("pulled/stages");
        assertThat(remote.pullAll(pulled, s -> true)).isEqualTo(1);
        assertThat(Files.readString(pulled.resolve("gen-owl-r1/raw.jsonl"))).isEqualTo("{}\n");
        assertThat(remote.pull("gen-owl-r1", pulled)).as("already here with the same key").isFalse();
        assertThat(remote.pull("filter-owl-r1", pulled)).isFalse();
        // a new key replaces the folder there whole, and the next pull replaces the local one
        Files.writeString(stage.resolve("manifest.json"), "{\"key\": \"k3\"}");
        Files.writeString(stage.resolve("raw.jsonl"), "{\"v\": 3}\n");
        assertThat(remote.publish(stage)).isTrue();
        assertThat(remote.pull("gen-owl-r1", pulled)).isTrue();
        assertThat(Files.readString(pulled.resolve("gen-owl-r1/raw.jsonl"))).isEqualTo("{\"v\": 3}\n");
        assertThat(RunFolderCheck.problem(uri.toString(), Map.of())).isNull();
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
