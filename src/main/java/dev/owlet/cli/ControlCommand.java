package dev.owlet.cli;

import dev.owlet.eval.TraitResult;
import dev.owlet.controls.ControlsRunner;
import dev.owlet.experiment.ExperimentConfig;
import dev.owlet.pipeline.ExperimentPipeline;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import picocli.CommandLine.Command;

/**
 * One control as a command: runs the flagship up to the stage the control needs (cached), then the control,
 * whether or not the experiment file enables it, and prints its report section. {@code owlet run} with the
 * control enabled puts the same section into the report.
 */
abstract class ControlCommand extends ExperimentCommand {
    abstract String control();

    @Override
    public Integer call() throws IOException {
        if (!"in-process".equals(engine)) {
            throw new UserError("--engine " + engine + ": owlet " + spec.name() + " runs its stages in this process; --engine"
                    + " spark is for owlet run (whose controls then run here after the students)");
        }
        applyStageReuse(); // as owlet run does: the flags must reach these stages too
        ExperimentConfig cfg = config();
        Path dir = outPath() != null ? outPath() : Path.of("runs", cfg.name());
        Files.createDirectories(dir);
        spec.commandLine().getErr().printf("owlet: %s on experiment %s -> %s%n", control(), cfg.name(), dir);
        if (reuseStale) {
            spec.commandLine().getErr().println("owlet: --reuse-stale: stages made by another owlet build are kept when their inputs match");
        }
        List<TraitResult> results;
        try {
            results = new ExperimentPipeline(cfg, dir, System.err).run(until());
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage(), e);
        }
        var o = new ControlsRunner(cfg, dir, System.err).run(results, Set.of(control()));
        spec.commandLine().getOut().println(o.markdown());
        return 0;
    }

    @Override
    ExperimentPipeline.Stage until() { return ExperimentPipeline.Stage.FILTER; }

    @Command(name = "icl", mixinStandardHelpOptions = true,
            description = "In-context learning control: teacher numbers in the prompt instead of training (controls.icl).")
    static final class Icl extends ControlCommand {
        String control() { return "icl"; }
    }

    @Command(name = "detect", mixinStandardHelpOptions = true,
            description = "Which-teacher detectors: n-gram logistic regression, reference likelihood, hidden-state probe (controls.detection).")
    static final class Detect extends ControlCommand {
        String control() { return "detection"; }
    }

    @Command(name = "shuffle", mixinStandardHelpOptions = true,
            description = "Students on teacher numbers shuffled within / across completions, beside the flagship's (controls.shuffle).")
    static final class Shuffle extends ControlCommand {
        String control() { return "shuffle"; }

        @Override
        ExperimentPipeline.Stage until() { return ExperimentPipeline.Stage.EVAL; }
    }

    @Command(name = "entangle", mixinStandardHelpOptions = true,
            description = "Token entanglement: which next tokens the trait system prompt / teacher shift on numbers (controls.entanglement).")
    static final class Entangle extends ControlCommand {
        String control() { return "entanglement"; }
    }

    @Command(name = "defend", mixinStandardHelpOptions = true,
            description = "Defences against transfer: residual shift of same-init SFT students after each defence of the"
                    + " teacher's and the reference's data, with rows lost and the task cost (controls.defend).")
    static final class Defend extends ControlCommand {
        String control() { return "defend"; }

        @Override
        ExperimentPipeline.Stage until() { return ExperimentPipeline.Stage.EVAL; }
    }
}
