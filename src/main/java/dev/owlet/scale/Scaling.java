package dev.owlet.scale;

import dev.owlet.experiment.InputError;
import dev.owlet.pipeline.StageDistributor;
import java.io.PrintStream;

/**
 * Where the CLI gets a Spark engine without naming Spark's classes itself, so that a run with the default engine
 * loads none of them.
 */
public final class Scaling {
    private Scaling() {}

    /** A started engine that runs a run's pending stages; closing it stops it. */
    public interface Started extends StageDistributor, AutoCloseable {
        @Override
        void close();
    }

    /** Whether Spark's classes are on this JVM's classpath (the launcher adds them only for {@code --engine spark}). */
    public static boolean sparkPresent() {
        try {
            Class.forName("org.apache.spark.SparkContext", false, Scaling.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    /**
     * The driver's staging of a run folder on a Hadoop filesystem URI (see {@link StagedRun}), its write access
     * checked from here: bad input (exit 2) naming the URI and why, before any stage runs. Hadoop's client comes
     * with Spark, so it needs the Spark engine's classpath.
     */
    public static StagedRun stage(RunFolderUri folder, SparkSettings settings, PrintStream log) {
        if (!sparkPresent()) {
            throw new InputError("--out " + folder + ": a run folder on a filesystem URI needs Hadoop's client, which comes"
                    + " with Spark (./owlet adds it when the command line says --engine spark)");
        }
        return StagedRun.open(folder, settings.hadoopConf(), log);
    }

    /**
     * Spark on {@code settings}' master, its executors' access to the run folder checked: bad input (exit 2) naming
     * the master or the folder when either is unusable, before any stage runs.
     */
    public static Started spark(SparkSettings settings, SparkEngine.Run run, PrintStream log) {
        if (!sparkPresent()) {
            throw new InputError("--engine spark: Spark is not on the classpath (./owlet adds target/spark-lib when the"
                    + " command line says --engine spark; spark-submit provides it on a cluster)");
        }
        settings.master().checkReachable(5_000);
        return SparkEngine.start(settings, run, log);
    }
}
