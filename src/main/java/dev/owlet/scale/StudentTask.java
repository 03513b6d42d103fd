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

/**
 * One student stage as a Spark task: everything an executor needs to rebuild the run's pipeline and run that stage
 * alone, as plain serializable values (a task cannot carry the driver's closures or models).
 *
 * <p>The experiment travels as its file's text plus the {@code --set} overrides, so an executor reads exactly the
 * configuration the driver checked; paths inside it resolve against {@code baseDir}, and the run folder is
 * {@code runFolder}: both must be the same absolute paths on every machine (a shared mount).
 *
 * @param experimentText the experiment file's text, or null for the built-in defaults
 * @param sets the {@code --set} overrides, in order
 * @param baseDir the experiment file's folder (absolute)
 * @param runFolder the run folder (absolute)
 * @param stage the student stage to run, e.g. {@code student-owl-sft-same-r1}
 * @param engineThreads engine threads this task trains on
 * @param reuseStale {@code --reuse-stale}
 */
public record StudentTask(String experimentText, List<String> sets, String baseDir, String runFolder, String stage,
                          int engineThreads, boolean reuseStale) implements Serializable {
    private static final long serialVersionUID = 1L;

    public StudentTask {
        sets = List.copyOf(sets);
        if (engineThreads < 1) throw new IllegalArgumentException("engine threads must be at least 1, not " + engineThreads);
        if (!Path.of(runFolder).isAbsolute()) throw new IllegalArgumentException("run folder must be absolute: " + runFolder);
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
            new ExperimentPipeline(cfg, Path.of(runFolder), linesAbout(stage, System.err)).baseDir(Path.of(baseDir))
                    .onlyStudent(stage).run(ExperimentPipeline.Stage.FINETUNE);
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
