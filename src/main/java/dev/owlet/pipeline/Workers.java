package dev.owlet.pipeline;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs a run's independent stages (its students) side by side in this process, {@code jobs} at a time.
 *
 * <p>Why: a small GPT's training step cannot keep two cores busy with one thread of work split two ways (its matrices
 * are too small to split well), so two single-threaded students at once finish sooner than two two-threaded ones in
 * turn; {@code bench/RESULTS.md} has the measurement. Each stage is deterministic on its own, so the results do not
 * depend on which worker ran what or in which order they finished.
 *
 * <p>A failed stage does not stop the others: every stage runs, the finished ones keep their artifacts (a rerun
 * reuses them), and the first failure, named by its stage, is thrown at the end.
 */
final class Workers {
    private Workers() {}

    /** One stage to run: its name (for the error that names it) and the work. */
    record Task<T>(String stage, Callable<T> work) {}

    /**
     * The results of {@code tasks}, in the tasks' order. With one job, or one task, they run here in order.
     *
     * @param threads shares the engine's threads among the workers and prepares each worker thread
     */
    static <T> List<T> run(List<Task<T>> tasks, int jobs, EngineThreads threads) throws IOException {
        if (jobs <= 1 || tasks.size() <= 1) {
            List<T> out = new ArrayList<>();
            for (Task<T> t : tasks) out.add(call(t));
            return out;
        }
        int n = Math.min(jobs, tasks.size());
        AtomicInteger id = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(n, r -> {
            Thread t = new Thread(() -> {
                threads.enterWorker();
                r.run();
            }, "owlet-stage-" + id.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        try (EngineThreads.Restore restore = threads.share(n)) {
            List<Future<T>> futures = new ArrayList<>();
            for (Task<T> t : tasks) futures.add(pool.submit(() -> call(t)));
            List<T> out = new ArrayList<>();
            Throwable first = null;
            for (Future<T> f : futures) {
                try {
                    out.add(f.get());
                } catch (ExecutionException e) {
                    if (first == null) first = e.getCause();
                    out.add(null);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    pool.shutdownNow();
                    throw new IOException("interrupted while stages were running", e);
                }
            }
            if (first instanceof IOException io) throw io;
            if (first instanceof RuntimeException re) throw re;
            if (first instanceof Error err) throw err;
            if (first != null) throw new IOException(first);
            return out;
        } finally {
            pool.shutdown();
        }
    }

    private static <T> T call(Task<T> t) throws IOException {
        try {
            return t.work().call();
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Exception e) {
            throw new IOException(t.stage() + ": " + e.getMessage(), e);
        }
    }

    /** How the engine's threads are shared among workers, and what each worker thread needs first. */
    interface EngineThreads {
        /** Called before the workers start; closing the handle restores what it changed. */
        Restore share(int workers);

        /** Called on each worker thread before its first stage. */
        default void enterWorker() {}

        /** Restores what {@link #share} changed. */
        interface Restore extends AutoCloseable {
            @Override
            void close();
        }

        /** Leaves the engine alone (a server-side backend). */
        EngineThreads NONE = w -> () -> {};
    }
}
