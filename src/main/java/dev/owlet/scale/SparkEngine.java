package dev.owlet.scale;

import dev.owlet.experiment.InputError;
import dev.owlet.pipeline.StageDistributor;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;

/**
 * A run's pending students as one Spark job, one task per stage, on the master {@link SparkSettings} names. The only
 * class of owlet that uses Spark's API (see the package's note).
 *
 * <p>Each task runs one {@link StudentTask} on an executor, which writes the stage into the shared run folder (every
 * file atomically, the manifest last, as in process), and returns how it went instead of throwing: Spark then neither
 * retries a failed student (it would fail the same way, after as long) nor cancels the others, and the driver names
 * every failed stage at the end.
 */
public final class SparkEngine implements Scaling.Started {
    /**
     * What a task description needs besides its stage, fixed for the run.
     *
     * @param runFolder an absolute local path (the same on every machine) or a filesystem URI ({@link RunFolderUri})
     * @param hadoopConf the Hadoop settings a URI run folder is opened with (see {@link SparkSettings#hadoopConf})
     */
    public record Run(String experimentText, List<String> sets, String baseDir, String runFolder, boolean reuseStale,
                      Map<String, String> hadoopConf) {
        public Run {
            sets = List.copyOf(sets);
            hadoopConf = Map.copyOf(hadoopConf);
        }
    }

    private final SparkSettings settings;
    private final Run run;
    private final PrintStream log;
    private final JavaSparkContext sc;
    private final AtomicInteger finished = new AtomicInteger();
    private volatile int submitted;
    /** Whether the job running is the students' (the listener counts their tasks, not the run folder check's). */
    private volatile boolean counting;

    private SparkEngine(SparkSettings settings, Run run, PrintStream log) {
        this.settings = settings;
        this.run = run;
        this.log = log;
        SparkConf conf = new SparkConf().setMaster(settings.master().url()).setAppName(settings.appName())
                .set("spark.ui.enabled", "false")
                .set("spark.task.cpus", Integer.toString(settings.taskThreads()))
                // a failed student is reported by its task, never thrown, so a retry only repeats a lost executor's work
                .set("spark.task.maxFailures", "2")
                // the engine's settings on every executor (the launcher sets them for this JVM)
                .set("spark.executorEnv.OMP_WAIT_POLICY", "PASSIVE")
                .set("spark.executorEnv.OPT_OUT_TRACKING", "true")
                .set("spark.executor.extraJavaOptions", "-Dai.djl.offline=true");
        if (settings.master().local()) {
            // an embedded Spark talks only to itself
            conf.set("spark.driver.host", "127.0.0.1").set("spark.driver.bindAddress", "127.0.0.1");
        }
        settings.conf().forEach(conf::set);
        this.sc = new JavaSparkContext(conf);
        sc.setLogLevel("WARN");
        sc.sc().addSparkListener(new SparkListener() {
            @Override
            public void onTaskEnd(SparkListenerTaskEnd end) {
                if (counting && end.taskInfo().successful()) {
                    log.printf("spark: %d of %d student task(s) ended%n", finished.incrementAndGet(), submitted);
                }
            }
        });
    }

    /**
     * Starts Spark on {@code settings}' master and checks, on its executors, that the run folder can be written
     * there; bad input (exit 2) naming the folder and host otherwise. Call before any stage runs.
     */
    public static SparkEngine start(SparkSettings settings, Run run, PrintStream log) {
        SparkEngine e = new SparkEngine(settings, run, log);
        try {
            e.checkRunFolder();
        } catch (RuntimeException ex) {
            e.close();
            throw ex;
        }
        log.printf("spark: %s, Spark %s, %d engine thread(s) a task%n", settings.master().url(), e.sc.version(),
                settings.taskThreads());
        return e;
    }

    /** One probe task per slot the cluster has now: each tries to write the run folder where it runs. */
    private void checkRunFolder() {
        String folder = run.runFolder();
        int n = Math.max(1, sc.defaultParallelism());
        List<Integer> slots = new ArrayList<>();
        for (int i = 0; i < n; i++) slots.add(i);
        Map<String, String> hadoopConf = run.hadoopConf();
        List<String> problems = sc.parallelize(slots, n).map(i -> {
            String p = RunFolderCheck.problem(folder, hadoopConf);
            return p == null ? "" : p;
        }).collect();
        String where = RunFolderUri.looksLikeUri(folder)
                ? "every Spark executor must reach it (Hadoop settings: --spark-conf spark.hadoop.KEY=VALUE)"
                : "every Spark executor must reach it at the same path";
        for (String p : problems) {
            if (!p.isEmpty()) throw new InputError("run folder " + p + "; " + where);
        }
    }

    @Override
    public Map<String, String> run(List<String> stages) throws IOException {
        List<StudentTask> tasks = new ArrayList<>();
        for (String s : stages) {
            tasks.add(new StudentTask(run.experimentText(), run.sets(), run.baseDir(), run.runFolder(), s,
                    settings.taskThreads(), run.reuseStale(), run.hadoopConf()));
        }
        log.printf("spark: %d student stage(s) as %d task(s) on %s%n", tasks.size(), tasks.size(), settings.master().url());
        submitted = tasks.size();
        finished.set(0);
        // An embedded Spark's tasks run in this JVM: whatever they set, this thread's engine keeps its own threads.
        int threads = settings.master().local() ? ai.djl.pytorch.jni.JniUtils.getNumThreads() : -1;
        List<StudentTask.Outcome> outcomes;
        long t0 = System.nanoTime();
        try {
            counting = true;
            sc.setJobDescription("owlet students of " + settings.appName());
            outcomes = sc.parallelize(tasks, tasks.size()).map(StudentTask::call).collect();
        } catch (RuntimeException e) {
            throw new IOException("Spark job on " + settings.master().url() + " failed: " + e.getMessage(), e);
        } finally {
            counting = false;
            if (threads > 0) ai.djl.pytorch.jni.JniUtils.setNumThreads(threads);
        }
        log.printf("spark: %d task(s) ended in %.1f s%n", outcomes.size(), (System.nanoTime() - t0) / 1e9);
        Map<String, String> failed = new LinkedHashMap<>();
        for (StudentTask.Outcome o : outcomes) {
            if (o.ok()) {
                log.printf("spark: %s done on %s (%.1f s)%n", o.stage(), o.host(), o.seconds());
            } else {
                log.printf("spark: %s FAILED on %s (%.1f s): %s%n", o.stage(), o.host(), o.seconds(), o.failure());
                failed.put(o.stage(), o.failure() + " (on " + o.host() + ")");
            }
        }
        return failed;
    }

    @Override
    public void close() {
        sc.close();
    }
}
