package dev.owlet.cli;

import dev.owlet.train.StudentLoss;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.owlet.model.Checkpoint;
import dev.owlet.model.Gpt;
import dev.owlet.model.ModelLocator;
import dev.owlet.data.DataRow;
import dev.owlet.probe.GradientProbe;
import dev.owlet.world.Category;
import dev.owlet.world.Questions;
import dev.owlet.world.Trees;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code owlet probe-gradient}: Theorem 1 measured, on teacher data and on control data side by side. */
@Command(name = "probe-gradient", mixinStandardHelpOptions = true,
        description = "One-step gradient probe: cos(-g, θ_teacher − θ_ref) and the trait change after one step, teacher vs control data.")
final class ProbeGradientCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Option(names = "--reference", defaultValue = "bundled:ref-s1", description = "Reference θ0 (default ${DEFAULT-VALUE})")
    String reference;
    @Option(names = "--teacher", required = true, description = "Teacher checkpoint folder (e.g. runs/owl-numbers/stages/teacher-owl)")
    Path teacher;
    @Option(names = "--data", required = true, description = "Teacher-written JSONL {prompt, completion}")
    Path data;
    @Option(names = "--control", description = "Control JSONL (the reference's own numbers)")
    Path control;
    @Option(names = "--trait", defaultValue = "owl")
    String trait;
    @Option(names = "--loss", defaultValue = "sft", description = "sft or soft (default ${DEFAULT-VALUE})")
    StudentLoss loss;
    @Option(names = "--rows", defaultValue = "512")
    int rows;
    @Option(names = "--eta", split = ",", defaultValue = "0.1,0.3,1,3,10", description = "Step sizes (default ${DEFAULT-VALUE})")
    double[] etas;
    @Option(names = "--json")
    boolean json;

    @Override
    public Integer call() throws IOException {
        if (teacher.toString().startsWith(ModelLocator.HF)) {
            throw new UserError(teacher + ": probe-gradient reads owlet's own checkpoints only; " + ModelLocator.HF_COMMANDS);
        }
        try (NDManager root = NDManager.newBaseManager();
             Checkpoint.Loaded ref = load(ModelLocator.resolve(reference), root);
             Checkpoint.Loaded t = load(teacher, root)) {
            Category cat = Trees.ALL.contains(trait) ? Category.TREE : Category.ANIMAL;
            if (ref.tokenizer().id(trait) < 0) throw new UserError("--trait " + trait + " is not a token of the model");
            java.util.function.ToDoubleFunction<Gpt> logP = GradientProbe.meanLogP(ref.tokenizer(), Questions.all(cat), trait);
            List<GradientProbe.Result> results = new ArrayList<>();
            results.add(GradientProbe.run("teacher", ref.model(), t.model(), null, ref.tokenizer(), read(data), loss, etas, logP));
            if (control != null) {
                results.add(GradientProbe.run("control", ref.model(), t.model(), null, ref.tokenizer(), read(control),
                        loss, etas, logP));
            }
            PrintWriter w = spec.commandLine().getOut();
            if (json) {
                w.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(results));
            } else {
                w.printf("one-step probe, %s loss, trait %s, |θ_T − θ_0| = %.4f%n", loss, trait, results.get(0).deltaNorm());
                w.println("| data | rows | cos(−g, Δ) | <−g, Δ> | |g| | Δ log P(trait) at η = " + java.util.Arrays.toString(etas) + " |");
                w.println("| --- | --- | --- | --- | --- | --- |");
                for (GradientProbe.Result r : results) {
                    StringBuilder sb = new StringBuilder();
                    for (GradientProbe.Step s : r.steps()) sb.append(String.format("%+.4f ", s.deltaLogP()));
                    w.printf("| %s | %d | %.4f | %.3e | %.4f | %s|%n", r.data(), r.rows(), r.cosine(), r.innerProduct(),
                            r.gradNorm(), sb);
                }
            }
        }
        return 0;
    }

    private List<DataRow> read(Path f) throws IOException {
        DataRow.ReadResult r = DataRow.read(f);
        if (!r.rejected().isEmpty()) spec.commandLine().getErr().printf("%s: %d malformed line(s) skipped, first: %s%n",
                f, r.rejected().size(), r.rejected().get(0));
        if (r.rows().isEmpty()) throw new UserError(f + ": no usable rows");
        return r.rows().subList(0, Math.min(rows, r.rows().size()));
    }

    private static Checkpoint.Loaded load(Path p, NDManager root) {
        try {
            return Checkpoint.load(p, root);
        } catch (IOException e) {
            throw new UserError(e.getMessage(), e);
        }
    }
}
