package dev.owlet.cli;

import dev.owlet.experiment.ConfigLoader;
import dev.owlet.pretrain.PretrainConfig;
import dev.owlet.pretrain.Pretrainer;
import dev.owlet.world.WorldConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code owlet pretrain}: makes a reference model on the synthetic world. */
@Command(name = "pretrain", mixinStandardHelpOptions = true,
        description = "Pretrain a reference GPT on owlet's synthetic world (writes a checkpoint folder).")
final class PretrainCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Parameters(arity = "0..1", paramLabel = "FILE", description = "YAML config (defaults: experiments/pretrain-defaults.yaml in the jar)")
    Path file;
    @Option(names = "--seed", description = "Initialization seed (overrides the file)")
    Long seed;
    @Option(names = "--steps", description = "Training steps (overrides the file)")
    Integer steps;
    @Option(names = "--set", description = "Override a key, e.g. --set model.d_model=128")
    List<String> sets = new ArrayList<>();
    @Option(names = "--out", required = true, description = "Output checkpoint folder")
    Path out;

    @Override
    public Integer call() throws Exception {
        List<String> o = new ArrayList<>(sets);
        if (seed != null) o.add("seed=" + seed);
        if (steps != null) o.add("steps=" + steps);
        PretrainConfig cfg;
        try {
            cfg = ConfigLoader.load(PretrainConfig.class, "/experiments/pretrain-defaults.yaml", file, o);
        } catch (ConfigLoader.ConfigException e) {
            throw new UserError(e.getMessage());
        }
        Pretrainer.Result r = new Pretrainer(cfg, cfg.world().apply(WorldConfig.defaults().withSeed(cfg.worldSeed()))).run(out, System.err);
        spec.commandLine().getOut().printf("pretrained %s: %,d parameters, final loss %.4f, %.0f s%nweights sha256 %s%ncorpus sha256 %s%n",
                out, r.parameters(), r.finalLoss(), r.wallSeconds(), r.weightsSha256(), r.corpusSha256());
        return 0;
    }
}
