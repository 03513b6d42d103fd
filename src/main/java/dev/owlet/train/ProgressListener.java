package dev.owlet.train;

import java.io.PrintStream;

/** A one-line progress bar on stderr with loss, rate and ETA; quiet when {@code out} is null. */
public final class ProgressListener implements TrainingListener {
    private final String label;
    private final PrintStream out;
    private final int every;
    private double smoothed = Double.NaN;

    public ProgressListener(String label, PrintStream out, int every) {
        this.label = label;
        this.out = out;
        this.every = Math.max(1, every);
    }

    @Override
    public void onStep(StepInfo s) {
        smoothed = Double.isNaN(smoothed) ? s.loss() : 0.95 * smoothed + 0.05 * s.loss();
        if (out == null || (s.step() % every != 0 && s.step() != s.totalSteps())) return;
        int width = 30;
        int done = (int) Math.round(width * (double) s.step() / s.totalSteps());
        double secs = s.elapsedNanos() / 1e9;
        double eta = secs / s.step() * (s.totalSteps() - s.step());
        out.printf("\r%s [%s%s] %d/%d loss %.4f lr %.2e %.0fs eta %.0fs   ", label, "=".repeat(done),
                " ".repeat(width - done), s.step(), s.totalSteps(), smoothed, s.lr(), secs, eta);
        out.flush();
    }

    @Override
    public void onEnd(StepInfo s) {
        if (out != null) out.println();
    }

    public double smoothedLoss() { return smoothed; }
}
