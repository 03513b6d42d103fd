package dev.owlet.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** Subcommands whose issues have not landed yet: they say so and exit 1, never pretend to work. */
final class NotBuiltCommands {
    private NotBuiltCommands() {}

    @Command(name = "run", mixinStandardHelpOptions = true, description = "Run an experiment end to end (not built yet).")
    static final class Run implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            spec.commandLine().getErr().println("owlet run: the flagship experiment is not built yet (issue 4).");
            return 1;
        }
    }
}
