package dev.owlet.cli;

import dev.owlet.backend.BackendException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code owlet} command line. Exit codes: 0 ok, 1 failure, 2 bad input (unknown option, bad config, missing
 * data). Commands are thin: they parse, call a service, and print.
 */
@Command(name = "owlet", mixinStandardHelpOptions = true, versionProvider = Owlet.Version.class,
        description = "A lab for subliminal learning: reproduce, measure and audit trait transfer through distillation.",
        subcommands = {CommandLine.HelpCommand.class, ExperimentCommand.Run.class, ExperimentCommand.Teacher.class,
                ExperimentCommand.Generate.class, ExperimentCommand.Filter.class, ExperimentCommand.Finetune.class,
                ExperimentCommand.Eval.class, PretrainCommand.class, ProbeCommand.class, ProbeGradientCommand.class,
                MnistCommand.class, LineageCommand.class, AuditCommand.class, ControlCommand.Icl.class,
                ControlCommand.Detect.class, ControlCommand.Shuffle.class, ControlCommand.Entangle.class, ControlCommand.Defend.class,
                BenchCommand.class, ServeCommand.class, HfCommand.class})
public final class Owlet implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        int code = run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
        System.exit(code);
    }

    /** Entry point tests call: no System.exit. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cl = commandLine();
        cl.setOut(out);
        cl.setErr(err);
        return cl.execute(args);
    }

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Owlet());
        cl.setCaseInsensitiveEnumValuesAllowed(true); // --loss sft, as the config spells it
        cl.setExecutionExceptionHandler((ex, cmd, parse) -> {
            if (ex instanceof UserError || ex instanceof dev.owlet.experiment.InputError) {
                cmd.getErr().println("owlet: " + ex.getMessage());
                return 2;
            }
            if (ex instanceof BackendException be && be.userFixable()) {
                cmd.getErr().println("owlet: " + be.getMessage());
                return 2;
            }
            if (ex instanceof dev.owlet.pipeline.StageDistributor.StagesFailed) {
                cmd.getErr().println("owlet: " + ex.getMessage()); // names each failed stage; a rerun resumes
                return 1;
            }
            if (ex instanceof java.io.IOException || ex instanceof java.io.UncheckedIOException) {
                cmd.getErr().println("owlet: I/O error: " + ex.getMessage());
                return 1;
            }
            // Not bad input: owlet's own failure. Say so, and how to get what a bug report needs.
            cmd.getErr().println("owlet: internal error (a bug in owlet, not in your input): " + ex
                    + (System.getenv("OWLET_DEBUG") == null ? "; rerun with OWLET_DEBUG=1 for the stack trace" : ""));
            if (System.getenv("OWLET_DEBUG") != null) {
                ex.printStackTrace(cmd.getErr());
            }
            return 1;
        });
        return cl;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Version from the jar manifest when packaged, else the development marker. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"owlet " + dev.owlet.provenance.CodeVersion.get() + " (DJL 0.36.0, PyTorch 2.7.1 CPU)"};
        }
    }
}
