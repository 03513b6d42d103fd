package dev.owlet.cli;

import dev.owlet.pipeline.StageProgress;
import java.io.PrintStream;
import java.time.Duration;
import java.util.function.LongSupplier;
import me.tongfei.progressbar.InteractiveConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * How the CLI shows a long stage: on a terminal a progress bar with its ETA, redrawn in place; otherwise (a log
 * file, CI) a plain line at each quarter of a stage that has run a few seconds, so logs stay short and greppable.
 */
final class ProgressDisplay implements StageProgress {
    private final PrintStream err;
    private final boolean terminal;
    private final LongSupplier nanos;

    ProgressDisplay(PrintStream err, boolean terminal, LongSupplier nanos) {
        this.err = err;
        this.terminal = terminal;
        this.nanos = nanos;
    }

    /** Bars when the process talks to a terminal, plain lines when its output goes to a file or a pipe. */
    static ProgressDisplay forThisProcess() {
        return new ProgressDisplay(System.err, System.console() != null, System::nanoTime);
    }

    @Override
    public Ticker start(String name, String unit) {
        return terminal ? new Bar(name, unit) : new Lines(name, unit);
    }

    /** A tongfei progress bar, built at the first update (when the total is known); students training at once each keep a line of their own. */
    private final class Bar implements Ticker {
        private final String name;
        private final String unit;
        private ProgressBar bar;

        Bar(String name, String unit) {
            this.name = name;
            this.unit = unit;
        }

        @Override
        public synchronized void update(long done, long total) {
            if (bar == null) {
                bar = new ProgressBarBuilder().setTaskName(name).setInitialMax(total).setUnit(" " + unit, 1)
                        .setStyle(ProgressBarStyle.ASCII).setConsumer(new InteractiveConsoleProgressBarConsumer(err))
                        .setUpdateIntervalMillis(250).clearDisplayOnFinish().build();
            }
            bar.maxHint(total);
            bar.stepTo(done);
        }

        @Override
        public synchronized void close() {
            if (bar != null) bar.close();
        }
    }

    /** Plain lines: "name: 50% (200/400 steps), 31 s, about 31 s left". */
    private final class Lines implements Ticker {
        private static final long QUIET_NANOS = Duration.ofSeconds(3).toNanos();
        private final String name;
        private final String unit;
        private final long t0 = nanos.getAsLong();
        private int quarter;

        Lines(String name, String unit) {
            this.name = name;
            this.unit = unit;
        }

        @Override
        public synchronized void update(long done, long total) {
            if (total <= 0 || done >= total) return; // the stage's own log line reports the end
            int q = (int) (4 * done / total);
            long elapsed = nanos.getAsLong() - t0;
            if (q <= quarter || elapsed < QUIET_NANOS) return;
            quarter = q;
            double s = elapsed / 1e9;
            err.printf("%s: %d%% (%d/%d %s), %.0f s, about %.0f s left%n", name, 100 * done / total, done, total, unit,
                    s, s * (total - done) / done);
        }

        @Override
        public void close() {}
    }
}
