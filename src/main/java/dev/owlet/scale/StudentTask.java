package dev.owlet.scale;

import dev.owlet.experiment.ConfigLoader;
import dev.owlet.experiment.ExperimentConfig;
import dev.owlet.pipeline.ExperimentPipeline;
import dev.owlet.provenance.StageCache;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.Serializable;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * One student stage as a Spark task: everything an executor needs to rebuild the run's pipeline and run that stage
 * alone, as plain serializable values (a task cannot carry the driver's closures or models).
 *
 * <p>The experiment travels as its file's text plus the {@code --set} overrides, so an executor reads exactly the
 * configuration the driver checked; paths inside it resolve against {@code baseDir}, which must be the same
 * absolute path on every machine. The run folder {@code runFolder} is either such a path (a shared mount) or a
 * filesystem URI: then the task pulls the finished stages its student reads into a local folder of this process,
 * runs there, and publishes each stage it finishes to the URI (see {@link HadoopStages}).
 *
 * @param experimentText the experiment file's text, or null for the built-in defaults
 * @param sets the {@code --set} overrides, in order
 * @param baseDir the experiment file's folder (absolute)
 * @param runFolder the run folder: an absolute path, or a filesystem URI
 * @param stage the student stage to run, e.g. {@code student-owl-sft-same-r1}
 * @param engineThreads engine threads this task trains on
 * @param reuseStale {@code --reuse-stale}
 * @param hadoopConf the Hadoop settings a URI run folder is opened with (empty for a path)
 */
public record StudentTask(String experimentText, List<String> sets, String baseDir, String runFolder, String stage,
                          int engineThreads, boolean reuseStale, Map<String, String> hadoopConf) implements Serializable {
    private static final long serialVersionUID = 2L;
    /** A student stage's writer and replicate: {@code student-WRITER-MODE-INIT-rN}. */
    private static final Pattern STUDENT = Pattern.compile("student-(.+)-[^-]+-[^-]+-r(\\d+)");
    /** This process's local copies of URI run folders' stages, by URI (tasks of one executor share them). */
    private static final Map<String, Path> SCRATCH = new ConcurrentHashMap<>();

    public StudentTask {
        sets = List.copyOf(sets);
        hadoopConf = Map.copyOf(hadoopConf);
        if (engineThreads < 1) throw new IllegalArgumentException("engine threads must be at least 1, not " + engineThreads);
        if (!RunFolderUri.looksLikeUri(runFolder) && !Path.of(runFolder).isAbsolute()) {
            throw new IllegalArgumentException("run folder must be absolute or a URI: " + runFolder);
        }
    }

    /**
     * Test hook: called with the stage's name before it runs in this JVM (an embedded Spark's tasks run in the
     * driver's); throwing fails that task as a failed stage would.
     */
    static volatile java.util.function.Consumer<String> beforeRun = stage -> {};

    /** How a task ended: its stage, where it ran, and its failure (null when it finished). */
    public record Outcome(String stage, String host, String failure, double seconds) implements Serializable {
        private static final long serialVersionUID = 1L;

        public boolean ok() { return failure == null; }
    }

    /**
     * Runs the stage here (on an executor) and says how it went; never throws, so one failed stage does not make
     * Spark retry it or cancel the job's other tasks.
     */
    public Outcome call() {
        long t0 = System.nanoTime();
        String host = host();
        Path tmp = null;
        try {
            // The engine's settings wherever it runs (the launcher and Spark's executorEnv set the rest).
            if (System.getProperty("ai.djl.offline") == null) System.setProperty("ai.djl.offline", "true");
            ai.djl.engine.Engine.getInstance(); // loads the native library before the thread settings below
            ai.djl.pytorch.jni.JniUtils.setNumThreads(engineThreads);
            dev.owlet.train.Gradients.inferenceThread(); // Spark's task threads are new to the engine
            if (experimentText != null) {
                tmp = Files.createTempFile("owlet-experiment-", ".yaml");
                Files.writeString(tmp, experimentText, StandardCharsets.UTF_8);
            }
            ExperimentConfig cfg = ConfigLoader.load(tmp, sets);
            beforeRun.accept(stage);
            StageCache.reuseStale(reuseStale);
            if (RunFolderUri.looksLikeUri(runFolder)) {
                runFromUri(cfg);
            } else {
                new ExperimentPipeline(cfg, Path.of(runFolder), linesAbout(stage, System.err)).baseDir(Path.of(baseDir))
                        .onlyStudent(stage).run(ExperimentPipeline.Stage.FINETUNE);
            }
            return new Outcome(stage, host, null, seconds(t0));
        } catch (Throwable e) { // an Error too: the task reports it rather than dying
            String msg = e.getMessage() == null ? e.toString() : e.getMessage();
            return new Outcome(stage, host, msg, seconds(t0));
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // a temporary file
                }
            }
        }
    }

    /**
     * The stage against a run folder URI: the stages its student reads (every teacher, generation and filter, and
     * its writer's soft labels) pulled into this process's local copy of the run folder, the student trained there,
     * and every stage it finishes (the student, soft labels it had to make) published to the URI at once. The
     * local copy is shared by this process's tasks, so two students of one dataset still make its soft labels once
     * here; the student's own folder is deleted from it afterwards (it is on the URI, or it failed).
     */
    private void runFromUri(ExperimentConfig cfg) throws IOException {
        HadoopStages remote = HadoopStages.open(RunFolderUri.parse(runFolder), hadoopConf);
        Path local = scratch(runFolder);
        Path stages = local.resolve("stages");
        java.util.regex.Matcher m = STUDENT.matcher(stage);
        String labels = m.matches() ? "labels-" + m.group(1) + "-r" + m.group(2) : null;
        remote.pullAll(stages, s -> s.startsWith("teacher-") || s.startsWith("gen-") || s.startsWith("filter-")
                || s.equals(labels) || s.equals(stage));
        try {
            new ExperimentPipeline(cfg, local, linesAbout(stage, System.err)).baseDir(Path.of(baseDir)).onStageFinished(
                    (name, dir) -> remote.publish(dir)).onlyStudent(stage).run(ExperimentPipeline.Stage.FINETUNE);
        } finally {
            HadoopStages.deleteLocal(stages.resolve(stage));
        }
    }

    /** This process's local copy of the run folder at {@code uri}, made on first use and deleted when it exits. */
    private static Path scratch(String uri) {
        return SCRATCH.computeIfAbsent(uri, u -> {
            try {
                Path p = Files.createTempDirectory("owlet-task-stages-");
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    try {
                        HadoopStages.deleteLocal(p);
                    } catch (IOException ignored) {
                        // a temporary folder
                    }
                }));
                return p;
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
    }

    private static double seconds(long t0) { return (System.nanoTime() - t0) / 1e9; }

    static String host() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown host";
        }
    }

    /**
     * Only the log lines about {@code stage}: the rebuilt pipeline also reports the upstream stages it reuses, which
     * the driver already did once.
     */
    static PrintStream linesAbout(String stage, PrintStream to) {
        java.util.regex.Pattern about = java.util.regex.Pattern.compile("(^|[^\\w-])" + java.util.regex.Pattern.quote(stage) + "($|[^\\w-])");
        return new PrintStream(new OutputStream() {
            private final ByteArrayOutputStream line = new ByteArrayOutputStream();

            @Override
            public synchronized void write(int b) {
                if (b != '\n') {
                    line.write(b);
                    return;
                }
                String s = line.toString(StandardCharsets.UTF_8);
                line.reset();
                if (about.matcher(s).find()) to.println(s);
            }
        }, true, StandardCharsets.UTF_8);
    }
}
