package dev.owlet.pipeline;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Runs a run's pending student stages somewhere other than this process (a Spark job, see {@code dev.owlet.scale}),
 * each into the run folder's stage cache, before this process reads them from there.
 *
 * <p>Why an interface here: the pipeline decides which stages are independent and which are already done, and knows
 * nothing of how they are spread; the engine that spreads them knows nothing of experiments.
 */
public interface StageDistributor {
    /**
     * Runs every stage in {@code stages} (all are independent; none is done yet) and returns the ones that failed,
     * each with what went wrong; the others must be finished in the run folder when this returns.
     */
    Map<String, String> run(List<String> stages) throws IOException;

    /** Stages that failed where they were distributed; the others finished and stay in the run folder. */
    final class StagesFailed extends IOException {
        private final Map<String, String> failed;

        public StagesFailed(Map<String, String> failed, int of) {
            super(failed.size() + " of " + of + " stage(s) failed (the others finished and a rerun reuses them): "
                    + failed.entrySet().stream().map(e -> e.getKey() + ": " + e.getValue()).collect(Collectors.joining("; ")));
            this.failed = Map.copyOf(failed);
        }

        /** The failed stages by name, each with its failure. */
        public Map<String, String> failed() { return failed; }
    }
}
