package dev.owlet.scale;

import dev.owlet.experiment.InputError;
import dev.owlet.pipeline.StageDistributor;
import dev.owlet.provenance.Manifest;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The driver's side of a run folder on a Hadoop filesystem URI: the pipeline runs in a local staging copy, and the
 * URI is the run folder that counts.
 *
 * <p>Why a staging copy rather than a pipeline that writes to the URI: every stage reads and writes its files with
 * {@code java.nio} (models, safetensors, JSONL), and a rename-then-manifest protocol per stage (see
 * {@link HadoopStages}) keeps the URI's stages whole without teaching any of them another filesystem. So: the
 * finished stages on the URI are pulled first (a rerun resumes); each stage the driver finishes is pushed the moment
 * its manifest is written ({@link #push}); before the students go to Spark every finished local stage is on the URI
 * (the executors pull theirs from there), and after the job the students are pulled back; at the end the report
 * files follow. The staging folder is deleted when the run ends; a killed driver leaves it in the temporary folder.
 */
public final class StagedRun implements AutoCloseable {
    private final HadoopStages remote;
    private final Path local;
    private final PrintStream log;

    private StagedRun(HadoopStages remote, Path local, PrintStream log) {
        this.remote = remote;
        this.local = local;
        this.log = log;
    }

    /**
     * Checks that this machine can write the run folder at {@code folder} (bad input naming it and why otherwise,
     * before any stage runs), makes a local staging folder, and pulls every stage finished there into it.
     */
    public static StagedRun open(RunFolderUri folder, Map<String, String> hadoopConf, PrintStream log) {
        HadoopStages remote = HadoopStages.open(folder, hadoopConf);
        String problem = remote.problem();
        if (problem != null) throw new InputError("--out " + problem);
        Path local = null;
        try {
            local = Files.createTempDirectory("owlet-run-");
            Files.createDirectories(local.resolve("stages"));
            int n = remote.pullAll(local.resolve("stages"), s -> true);
            log.printf("owlet: run folder %s: %d finished stage(s) there, staged in %s%n", folder, n, local);
            return new StagedRun(remote, local, log);
        } catch (IOException e) {
            try {
                if (local != null) HadoopStages.deleteLocal(local);
            } catch (IOException ignored) {
                // a temporary folder
            }
            throw new UncheckedIOException("run folder " + folder + ": cannot stage its finished stages here: " + e.getMessage(), e);
        }
    }

    /** The local staging copy the pipeline runs in. */
    public Path local() { return local; }

    /** The run folder's URI. */
    public RunFolderUri folder() { return remote.folder(); }

    /** Publishes the stage the driver has just finished (an {@code ExperimentPipeline.StageFinished}). */
    public void push(String name, Path dir) throws IOException {
        remote.publish(dir);
    }

    /**
     * {@code engine} with the URI in between: every finished local stage is published before the job (its tasks
     * pull their upstream stages from there), and every stage finished there is pulled after it.
     */
    public StageDistributor around(StageDistributor engine) {
        return stages -> {
            int pushed = pushFinished();
            if (pushed > 0) log.printf("owlet: %d finished stage(s) published to %s before the job%n", pushed, folder());
            Map<String, String> failed = engine.run(stages);
            remote.pullAll(local.resolve("stages"), s -> true);
            return failed;
        };
    }

    /** Publishes every finished local stage not on the URI with the same key; returns how many. */
    int pushFinished() throws IOException {
        int n = 0;
        try (var all = Files.list(local.resolve("stages"))) {
            for (Path d : all.sorted().toList()) {
                if (!d.getFileName().toString().startsWith(".") && Manifest.read(d) != null && remote.publish(d)) n++;
            }
        }
        return n;
    }

    /**
     * The end of a run that got this far: every finished stage (the controls' too) and then the files at the top of
     * the staging folder (results.json, the report, its charts) onto the URI.
     */
    public void finish() throws IOException {
        pushFinished();
        List<Path> files;
        try (var top = Files.list(local)) {
            files = top.filter(Files::isRegularFile).filter(f -> !f.getFileName().toString().startsWith(".")).sorted().toList();
        }
        for (Path f : files) remote.putFile(f, f.getFileName().toString());
    }

    /** Deletes the staging folder. */
    @Override
    public void close() {
        try {
            HadoopStages.deleteLocal(local);
        } catch (IOException e) {
            log.printf("owlet: could not delete the staging folder %s (%s)%n", local, e.getMessage());
        }
    }
}
