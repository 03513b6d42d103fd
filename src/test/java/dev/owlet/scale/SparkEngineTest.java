package dev.owlet.scale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.owlet.cli.Owlet;
import dev.owlet.experiment.InputError;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.net.URI;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code owlet run --engine spark} on an embedded {@code local[2]} Spark: the same numbers as the in-process executor,
 * from a local run folder and from one on a Hadoop filesystem URI, a killed run resumed without redoing a finished
 * stage, and bad masters, run folders and URIs refused before any stage.
 *
 * <p>A tiny sweep (the owl teacher and the reference, two modes, two inits: eight
 * students) on a single-threaded engine in both executors,
 * since the thread count a model trains on changes its last digits.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SparkEngineTest {
    /** Small enough for CI; the students are still eight independent stages, so two run at once. */
    static final List<String> TINY = List.of("--set", "control_traits=[]", "--set", "generate.prompts=300", "--set", "finetune.rows=150",
            "--set", "finetune.replicates=1", "--set", "finetune.modes=[sft, soft]", "--set", "finetune.epochs=1",
            "--set", "teacher.max_steps=40", "--set", "eval.samples_per_question=2", "--set", "eval.number_prefix=false");
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    Path inProcess;

    record Result(int code, String out, String err) {}

    /** The CLI in this JVM on a single-threaded engine, its log (the pipeline writes to System.err) captured. */
    static Result owlet(List<String> args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        PrintStream was = System.err;
        ai.djl.engine.Engine.getInstance();
        int threads = ai.djl.pytorch.jni.JniUtils.getNumThreads();
        int code;
        try {
            System.setErr(new PrintStream(log, true, StandardCharsets.UTF_8));
            ai.djl.pytorch.jni.JniUtils.setNumThreads(1);
            code = Owlet.run(new PrintWriter(out, true), new PrintWriter(err, true), args.toArray(String[]::new));
        } finally {
            System.setErr(was);
            ai.djl.pytorch.jni.JniUtils.setNumThreads(threads);
        }
        return new Result(code, out.toString(), err + log.toString(StandardCharsets.UTF_8));
    }

    static List<String> run(Path out, String... more) {
        return run(out.toString(), more);
    }

    /** The tiny sweep into {@code out}, a path or a filesystem URI. */
    static List<String> run(String out, String... more) {
        List<String> a = new ArrayList<>(List.of("run", "--out", out));
        a.addAll(TINY);
        a.addAll(List.of(more));
        return a;
    }

    @BeforeAll
    void inProcessRun(@TempDir Path ref) {
        inProcess = ref.resolve("in-process");
        Result r = owlet(run(inProcess, "--jobs", "1"));
        assertThat(r.code()).as(r.err()).isZero();
    }

    @Test
    void sparkLocal2GivesTheSameResultsAsTheInProcessExecutor() throws IOException {
        Path run = dir.resolve("spark");
        Result r = owlet(run(run, "--engine", "spark", "--master", "local[2]", "--task-threads", "1"));
        assertThat(r.code()).as(r.err()).isZero();
        // every student was a Spark task (none trained by the driver), each named when it ended
        assertThat(r.err()).contains("spark: 8 student stage(s) as 8 task(s) on local[2]");
        assertThat(r.err().lines().filter(l -> l.matches("spark: student-\\S+ done on .*"))).hasSize(8);
        assertThat(numbers(run)).isEqualTo(numbers(inProcess));
    }

    @Test
    void aKilledLocalRunResumesReusingEveryFinishedStage() throws Exception {
        Path run = dir.resolve("killed");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx3g", "-Dai.djl.offline=true", "-Dai.djl.pytorch.num_threads=1", "-Dai.djl.pytorch.num_interop_threads=1"));
        cmd.addAll(java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> a.startsWith("--add-opens") || a.startsWith("-Dio.netty")).toList());
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.owlet.cli.Owlet"));
        cmd.addAll(run(run, "--engine", "spark", "--master", "local[2]"));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("killed.log").toFile());
        pb.environment().put("OMP_WAIT_POLICY", "PASSIVE");
        pb.environment().put("OPT_OUT_TRACKING", "true");
        Process p = pb.start();
        try {
            // killed as soon as the first students are done, mid-way through the Spark job
            while (p.isAlive() && students(run).isEmpty()) Thread.sleep(50);
        } finally {
            p.destroyForcibly();
            p.waitFor();
        }
        Map<String, byte[]> finished = students(run);
        assertThat(finished).as(Files.readString(dir.resolve("killed.log"))).isNotEmpty();
        assertThat(finished.size()).as("killed mid-sweep").isLessThan(8);

        // The rerun, with one of the unfinished students failing on its executor: the others finish, the failed
        // one is named, and the finished ones were read, not remade.
        String failing = List.of("student-owl-sft-same-r1", "student-owl-soft-same-r1", "student-control-sft-diff-r1",
                "student-control-soft-diff-r1").stream().filter(s -> !finished.containsKey(s)).findFirst().orElseThrow();
        Result r;
        try {
            StudentTask.beforeRun = s -> {
                if (s.equals(failing)) throw new IllegalStateException("out of memory on purpose");
            };
            r = owlet(run(run, "--engine", "spark", "--master", "local[2]", "--task-threads", "1"));
        } finally {
            StudentTask.beforeRun = s -> {};
        }
        assertThat(r.code()).as(r.err()).isEqualTo(1);
        assertThat(r.err()).contains("spark: " + (8 - finished.size()) + " student stage(s) as")
                .contains("1 of " + (8 - finished.size()) + " stage(s) failed")
                .contains(failing + ": out of memory on purpose");
        for (String s : finished.keySet()) assertThat(r.err()).doesNotContain("spark: " + s + " done");
        // the upstream stages too: the teacher trained once, before the kill
        assertThat(r.err()).doesNotContain("teacher: fine-tuning");
        Map<String, byte[]> after = students(run);
        assertThat(after).hasSize(7).doesNotContainKey(failing);
        for (var e : finished.entrySet()) assertThat(after.get(e.getKey())).as(e.getKey()).isEqualTo(e.getValue());

        // and the run after that trains the failed student alone
        Result last = owlet(run(run, "--engine", "spark", "--master", "local[2]", "--task-threads", "1"));
        assertThat(last.code()).as(last.err()).isZero();
        assertThat(last.err()).contains("spark: 1 student stage(s) as").contains("spark: " + failing + " done");
        assertThat(numbers(run)).isEqualTo(numbers(inProcess));
    }

    @Test
    void anUnreachableMasterExitsTwoNamingItBeforeAnyStage() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort(); // closed again: nothing listens there
        }
        Path run = dir.resolve("unreachable");
        String url = "spark://127.0.0.1:" + port;
        Result r = owlet(run(run, "--engine", "spark", "--master", url));
        assertThat(r.code()).as(r.err()).isEqualTo(2);
        assertThat(r.err()).contains("--master " + url).contains("no Spark master answers");
        assertThat(stagesRun(run)).isEmpty();

        Result yarn = owlet(run(dir.resolve("yarn"), "--engine", "spark", "--master", "yarn"));
        assertThat(yarn.code()).isEqualTo(2);
        assertThat(yarn.err()).contains("--master yarn");
        assertThat(stagesRun(dir.resolve("yarn"))).isEmpty();
    }

    @Test
    void aRunFolderTheExecutorsCannotWriteExitsTwoNamingIt() throws IOException {
        assumeTrue(Files.isDirectory(Path.of("/proc/self")), "needs Linux /proc");
        // Root may write any ordinary folder, so use one that refuses everyone: /proc takes no new entries.
        String folder = "/proc/owlet-spark-run-folder-test";
        Result r = owlet(run(Path.of(folder), "--engine", "spark", "--master", "local[2]"));
        assertThat(r.code()).as(r.err()).isEqualTo(2);
        assertThat(r.err()).contains(folder).doesNotContain("owlet: experiment");

        // The executors' own check, which a cluster relies on (there the driver's machine proves nothing):
        // a folder this driver never looked at, refused by the tasks, names the folder and where it failed.
        var settings = new SparkSettings(SparkMaster.parse("local[2]"), 1, "owlet test", Map.of());
        var runOn = new SparkEngine.Run(null, List.of(), dir.toString(), folder, false, Map.of());
        assertThatThrownBy(() -> Scaling.spark(settings, runOn, new PrintStream(new ByteArrayOutputStream())))
                .isInstanceOf(InputError.class).hasMessageContaining("run folder " + folder)
                .hasMessageContaining("cannot write there from " + StudentTask.host());
    }

    @Test
    void aRunFolderOnAFileUriGivesTheSameResultsAndARerunRedoesOnlyWhatWasNotPublished() throws IOException {
        // file:// through Hadoop's FileSystem, not java.nio
        String uri = "file://" + dir.toAbsolutePath().resolve("on-uri");
        FileSystem fs = FileSystem.get(URI.create(uri), new Configuration());
        Result r = owlet(run(uri, "--engine", "spark", "--master", "local[2]", "--task-threads", "1"));
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).contains("owlet: experiment").contains("-> " + uri)
                .contains("spark: 8 student stage(s) as 8 task(s) on local[2]");
        assertThat(r.out()).contains("report: " + uri + "/report.md");
        assertThat(numbers(fs, uri)).isEqualTo(numbers(inProcess));
        List<String> stages = names(fs, uri + "/stages");
        assertThat(stages).as("every stage published, no temporary folder left").containsAll(stagesRun(inProcess))
                .noneMatch(n -> n.startsWith("."));
        assertThat(fs.exists(new org.apache.hadoop.fs.Path(uri + "/report.md"))).isTrue();

        // A half-upload under its temporary name (killed before its rename), and a folder renamed into place whose
        // manifest never came: neither is a finished stage, so the rerun redoes exactly those two and reuses the rest.
        String hidden = "student-owl-sft-same-r1";
        String noManifest = "student-control-soft-diff-r1";
        fs.rename(new org.apache.hadoop.fs.Path(uri + "/stages/" + hidden),
                new org.apache.hadoop.fs.Path(uri + "/stages/." + hidden + ".upload-killed-1"));
        fs.delete(new org.apache.hadoop.fs.Path(uri + "/stages/" + noManifest + "/manifest.json"), false);
        Result again = owlet(run(uri, "--engine", "spark", "--master", "local[2]", "--task-threads", "1"));
        assertThat(again.code()).as(again.err()).isZero();
        assertThat(again.err()).contains("spark: 2 student stage(s) as 2 task(s)")
                .contains("spark: " + hidden + " done").contains("spark: " + noManifest + " done")
                .contains("owlet: 2 stage(s) run on Spark, 0 here, ").contains(" reused from " + uri)
                .doesNotContain("teacher: fine-tuning");
        assertThat(names(fs, uri + "/stages")).contains(hidden, noManifest);
        assertThat(fs.exists(new org.apache.hadoop.fs.Path(uri + "/stages/" + noManifest + "/manifest.json"))).isTrue();
        assertThat(numbers(fs, uri)).isEqualTo(numbers(inProcess));
    }

    @Test
    void aRunFolderUriThatCannotBeUsedExitsTwoNamingItBeforeAnyStage() throws IOException {
        String unknown = "nosuch://somewhere/runs/a";
        Result r = owlet(run(unknown, "--engine", "spark", "--master", "local[2]"));
        assertThat(r.code()).as(r.err()).isEqualTo(2);
        assertThat(r.err()).contains("--out " + unknown).contains("No FileSystem for scheme").doesNotContain("owlet: experiment");

        assumeTrue(Files.isDirectory(Path.of("/proc/self")), "needs Linux /proc");
        String unwritable = "file:///proc/owlet-spark-uri-test";
        Result w = owlet(run(unwritable, "--engine", "spark", "--master", "local[2]"));
        assertThat(w.code()).as(w.err()).isEqualTo(2);
        assertThat(w.err()).contains("--out " + unwritable).contains("from " + StudentTask.host()).doesNotContain("owlet: experiment");

        // the executors' own check of the URI, which a cluster relies on
        var settings = new SparkSettings(SparkMaster.parse("local[2]"), 1, "owlet test", Map.of());
        var runOn = new SparkEngine.Run(null, List.of(), dir.toString(), unwritable, false, Map.of());
        assertThatThrownBy(() -> Scaling.spark(settings, runOn, new PrintStream(new ByteArrayOutputStream())))
                .isInstanceOf(InputError.class).hasMessageContaining("run folder " + unwritable)
                .hasMessageContaining("from " + StudentTask.host());
    }

    /** The folders in a folder on a Hadoop filesystem, by name. */
    static List<String> names(FileSystem fs, String folder) throws IOException {
        List<String> n = new ArrayList<>();
        for (FileStatus st : fs.listStatus(new org.apache.hadoop.fs.Path(folder))) if (st.isDirectory()) n.add(st.getPath().getName());
        return n;
    }

    /** {@link #numbers(Path)} of a run folder on a Hadoop filesystem, read through it. */
    static JsonNode numbers(FileSystem fs, String folder) throws IOException {
        try (var in = fs.open(new org.apache.hadoop.fs.Path(folder + "/results.json"))) {
            JsonNode n = JSON.readTree(in);
            strip(n);
            return n;
        }
    }

    /** Every student stage that finished, by name, with its manifest's bytes. */
    static Map<String, byte[]> students(Path run) throws IOException {
        Map<String, byte[]> m = new LinkedHashMap<>();
        Path stages = run.resolve("stages");
        if (!Files.isDirectory(stages)) return m;
        try (Stream<Path> s = Files.list(stages)) {
            for (Path st : s.sorted().toList()) {
                Path man = st.resolve("manifest.json");
                if (st.getFileName().toString().startsWith("student-") && Files.isRegularFile(man)) {
                    m.put(st.getFileName().toString(), Files.readAllBytes(man));
                }
            }
        }
        return m;
    }

    static List<String> stagesRun(Path run) throws IOException {
        Path stages = run.resolve("stages");
        if (!Files.isDirectory(stages)) return List.of();
        try (Stream<Path> s = Files.list(stages)) {
            return s.filter(p -> Files.isRegularFile(p.resolve("manifest.json"))).map(p -> p.getFileName().toString()).toList();
        }
    }

    /** results.json without what differs between two runs of the same numbers (times, dates, the run folder). */
    static JsonNode numbers(Path run) throws IOException {
        JsonNode n = JSON.readTree(run.resolve("results.json").toFile());
        strip(n);
        return n;
    }

    private static void strip(JsonNode n) {
        if (n instanceof ObjectNode o) {
            for (Iterator<String> it = o.fieldNames(); it.hasNext(); ) {
                String k = it.next();
                if (k.contains("seconds") || k.contains("wall") || k.equals("finished") || k.equals("created")
                        || k.equals("out") || k.equals("run_folder")) {
                    it.remove();
                }
            }
        }
        n.forEach(SparkEngineTest::strip);
    }
}
