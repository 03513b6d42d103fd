package dev.owlet.cli;

import dev.owlet.train.StudentLoss;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.owlet.audit.HfTransferProbe;
import dev.owlet.audit.HfWeightAudit;
import dev.owlet.audit.TransferProbe;
import dev.owlet.audit.WeightAudit;
import dev.owlet.model.Checkpoint;
import dev.owlet.model.HfCheckpoint;
import dev.owlet.model.HfModel;
import dev.owlet.model.LoadedModel;
import dev.owlet.model.ModelLocator;
import dev.owlet.data.DataRow;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code owlet audit}: shared-initialization detector from weights, and the transfer-risk probe. */
@Command(name = "audit", mixinStandardHelpOptions = true,
        description = "Audit models and data: shared initialization from weights, transfer risk before training.",
        subcommands = {AuditCommand.Weights.class, AuditCommand.Transfer.class, AuditCommand.Validate.class,
                AuditCommand.ValidateTransfer.class})
final class AuditCommand implements Runnable {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    @Spec
    CommandSpec spec;

    @Override
    public void run() { spec.commandLine().usage(spec.commandLine().getOut()); }

    @Command(name = "weights", mixinStandardHelpOptions = true,
            description = "Decide from weights alone whether two checkpoints descend from the same initialization.")
    static final class Weights implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Parameters(index = "0", paramLabel = "A", description = "Checkpoint folder, bundled:NAME, or hf:DIR (then B is hf: too)")
        String a;
        @Parameters(index = "1", paramLabel = "B")
        String b;
        @Option(names = "--null-pairs", defaultValue = "6", description = "Independent random-init pairs (row-shuffled pairs for hf:) for the threshold (default ${DEFAULT-VALUE})")
        int pairs;
        @Option(names = "--layers", description = "Print the per-matrix table")
        boolean showLayers;
        @Option(names = "--json")
        boolean json;

        @Override
        public Integer call() throws IOException {
            if (ModelLocator.isHf(a) != ModelLocator.isHf(b)) {
                throw new UserError(a + " vs " + b + ": one is a Hugging Face checkpoint (hf:) and the other one of owlet's"
                        + " own; the detector compares two checkpoints of the same architecture");
            }
            if (ModelLocator.isHf(a)) return hf();
            try (NDManager root = NDManager.newBaseManager();
                 LoadedModel x = ModelLocator.open(a, root);
                 LoadedModel y = ModelLocator.open(b, root)) {
                Checkpoint.Loaded xo = ((LoadedModel.Owlet) x).loaded();
                Checkpoint.Loaded yo = ((LoadedModel.Owlet) y).loaded();
                WeightAudit.Verdict v;
                try {
                    WeightAudit.Weights wa = WeightAudit.Weights.of(xo.model());
                    WeightAudit.Weights wb = WeightAudit.Weights.of(yo.model());
                    WeightAudit.layers(wa, wb); // architecture check before spending time on the null
                    v = WeightAudit.compare(wa, wb, WeightAudit.calibrate(xo.model().config(), pairs, 7_000, root));
                } catch (IllegalArgumentException e) {
                    throw new UserError(a + " vs " + b + ": " + e.getMessage(), e);
                }
                print("_weights", x.digest(), y.digest(), v.score(), v.sameInit(), v.calibration(), v.layers(), "random-init pairs");
            }
            return 0;
        }

        /**
         * Two Hugging Face checkpoints: raw cosines of their matrices against a row-shuffled null ({@link HfWeightAudit}).
         * Weights alone: no tokenizer is read, so a folder of weights and config.json is enough.
         */
        private int hf() throws IOException {
            Path da = ModelLocator.hfDir(a, Path.of(""));
            Path db = ModelLocator.hfDir(b, Path.of(""));
            try (NDManager root = NDManager.newBaseManager();
                 HfModel x = HfCheckpoint.load(da, root);
                 HfModel y = HfCheckpoint.load(db, root)) {
                HfWeightAudit.Verdict v;
                try {
                    v = HfWeightAudit.compare(x, y, pairs, 7_000);
                } catch (IllegalArgumentException e) {
                    throw new UserError(a + " vs " + b + ": " + e.getMessage(), e);
                }
                print("_digest", HfCheckpoint.digest(da), HfCheckpoint.digest(db), v.score(), v.sameInit(), v.calibration(),
                        v.layers(), "row-shuffled pairs");
            }
            return 0;
        }

        private void print(String key, String da, String db, double score, boolean same, WeightAudit.Calibration c,
                           List<WeightAudit.LayerScore> layers, String nullKind) throws IOException {
            PrintWriter w = spec.commandLine().getOut();
            if (json) {
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("a", a);
                r.put("a" + key, da);
                r.put("b", b);
                r.put("b" + key, db);
                r.put("score", score);
                r.put("threshold", c.threshold());
                r.put("same_init", same);
                r.put("null", nullKind);
                r.put("calibration", c);
                r.put("layers", layers);
                w.println(JSON.writeValueAsString(r));
            } else {
                w.printf("%s: score %.4f, threshold %.4f (null of %d %s: mean %.4f, sd %.4f, max %.4f)%n",
                        same ? "SAME initialization" : "DIFFERENT initialization", score, c.threshold(),
                        c.pairs(), nullKind, c.mean(), c.sd(), c.max());
                if (showLayers) {
                    w.println("| matrix | raw cos | aligned cos |");
                    w.println("| --- | --- | --- |");
                    for (WeightAudit.LayerScore l : layers) w.printf("| %s | %.4f | %.4f |%n", l.name(), l.raw(), l.aligned());
                }
            }
        }
    }

    @Command(name = "transfer", mixinStandardHelpOptions = true,
            description = "Transfer-risk probe: gradient alignment and a short probe fine-tune on teacher vs control data.")
    static final class Transfer implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Option(names = "--teacher", required = true, description = "Teacher checkpoint folder, or hf:DIR (then --base is hf: too)")
        String teacher;
        @Option(names = "--base", defaultValue = "bundled:ref-s1", description = "Reference the student starts from: a folder, bundled:NAME or hf:DIR (default ${DEFAULT-VALUE})")
        String base;
        @Option(names = "--data", required = true, description = "Candidate training data, JSONL {prompt, completion}")
        Path data;
        @Option(names = "--control", description = "Control data (default: filter-control-TRAIT/filtered.jsonl beside --data's stage)")
        Path control;
        @Option(names = "--trait", required = true)
        String trait;
        @Option(names = "--rows", defaultValue = "600")
        int rows;
        @Option(names = "--epochs", defaultValue = "3")
        int epochs;
        @Option(names = "--batch-size", defaultValue = "32")
        int batchSize;
        @Option(names = "--lr", defaultValue = "1e-3")
        double lr;
        @Option(names = "--loss", description = "sft or soft (default soft; sft, the only one, on hf: checkpoints)")
        StudentLoss loss;
        @Option(names = "--seed", defaultValue = "1")
        long seed;
        @Option(names = "--json")
        boolean json;

        @Override
        public Integer call() throws IOException {
            boolean hf = ModelLocator.isHf(base);
            if (ModelLocator.isHf(teacher) != hf) {
                throw new UserError("--teacher " + teacher + " and --base " + base + ": one is a Hugging Face checkpoint (hf:)"
                        + " and the other one of owlet's own; the probe compares a teacher with the base it was tuned from");
            }
            TransferProbe.Settings s;
            try {
                s = new TransferProbe.Settings(rows, epochs, batchSize, lr, loss != null ? loss : hf ? StudentLoss.SFT : StudentLoss.SOFT, seed);
            } catch (IllegalArgumentException e) {
                throw new UserError(e.getMessage(), e);
            }
            Path ctl = control != null ? control : defaultControl();
            List<DataRow> d = read(data);
            List<DataRow> c = read(ctl);
            try (NDManager root = NDManager.newBaseManager()) {
                TransferProbe.Report rep = hf ? hfProbe(root, d, c, s) : probe(root, d, c, s);
                PrintWriter w = spec.commandLine().getOut();
                if (json) {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("teacher", teacher);
                    m.put("base", base);
                    m.put("data", data.toString());
                    m.put("control", ctl.toString());
                    m.put("report", rep);
                    m.put("teacher_above_control", rep.teacherAbove());
                    m.put("teacher_above_control_by_gradient", rep.teacherAboveByGradient());
                    w.println(JSON.writeValueAsString(m));
                } else {
                    w.printf("transfer probe, trait %s, base mean log P %.3f, %d rows x %d epochs (%s, lr %.0e)%n", trait,
                            rep.baseLogP(), s.rows(), s.epochs(), s.loss(), s.lr());
                    w.println("| data | rows | cos(−g, θ_T − θ_R) | Δ log P(trait) [95% CI over questions] |");
                    w.println("| --- | --- | --- | --- |");
                    for (TransferProbe.Arm a : List.of(rep.teacher(), rep.control())) {
                        w.printf("| %s | %d | %+.4f | %+.3f [%+.3f, %+.3f] |%n", a.data(), a.rows(), a.cosine(),
                                a.deltaLogP().mean(), a.deltaLogP().low(), a.deltaLogP().high());
                    }
                    w.printf("gradient probe: teacher data %s control data (cos %+.4f vs %+.4f)%n",
                            rep.teacherAboveByGradient() ? "ranks ABOVE" : "does not rank above", rep.teacher().cosine(), rep.control().cosine());
                    w.printf("predicted shift above control: %+.3f [%+.3f, %+.3f] -> %s%n", rep.advantage().mean(),
                            rep.advantage().low(), rep.advantage().high(),
                            rep.advantage().low() > 0 ? "RISK: teacher data moves the student toward the trait"
                                    : rep.teacherAbove() ? "teacher data ranks above control (interval includes 0)"
                                    : "no transfer signal");
                }
            }
            return 0;
        }

        private TransferProbe.Report probe(NDManager root, List<DataRow> d, List<DataRow> c, TransferProbe.Settings s) {
            try (Checkpoint.Loaded r = load(base, root); Checkpoint.Loaded t = load(teacher, root)) {
                return TransferProbe.run(r.model(), t.model(), r.tokenizer(), d, c, trait, s);
            } catch (IllegalArgumentException e) {
                throw new UserError(e.getMessage(), e);
            }
        }

        /** On Hugging Face checkpoints: the teacher's weights only (the data is text already), the base with its template. */
        private TransferProbe.Report hfProbe(NDManager root, List<DataRow> d, List<DataRow> c, TransferProbe.Settings s) {
            try (LoadedModel r = ModelLocator.open(base, root);
                 HfModel t = HfCheckpoint.load(ModelLocator.hfDir(teacher, Path.of("")), root)) {
                return HfTransferProbe.run((LoadedModel.Hf) r, t, d, c, trait, s);
            } catch (IllegalArgumentException e) {
                throw new UserError(teacher + " vs " + base + ": " + e.getMessage(), e);
            }
        }

        private Path defaultControl() {
            Path stage = data.toAbsolutePath().getParent();
            Path guess = stage == null || stage.getParent() == null ? null
                    : stage.getParent().resolve("filter-control-" + trait).resolve("filtered.jsonl");
            if (guess == null || !Files.isRegularFile(guess)) {
                throw new UserError("no --control given and none found beside " + data + " (looked for " + guess + ")");
            }
            return guess;
        }

        private List<DataRow> read(Path f) throws IOException {
            if (!Files.isRegularFile(f)) throw new UserError("data file " + f + " does not exist");
            DataRow.ReadResult r = DataRow.read(f);
            if (r.rows().isEmpty()) throw new UserError(f + ": no usable rows");
            return r.rows();
        }
    }

    @Command(name = "validate", mixinStandardHelpOptions = true,
            description = "Score every pair of models in the lineage store and compare with their recorded lineage.")
    static final class Validate implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Option(names = "--db", defaultValue = "runs/lineage.db", description = "Lineage database (default ${DEFAULT-VALUE})")
        Path db;
        @Option(names = "--json")
        boolean json;

        @Override
        public Integer call() throws IOException {
            try (NDManager root = NDManager.newBaseManager();
                 dev.owlet.lineage.LineageStore store = dev.owlet.lineage.LineageStore.openExisting(db)) {
                dev.owlet.audit.DetectorValidation.Result r = dev.owlet.audit.DetectorValidation.run(store, root);
                PrintWriter w = spec.commandLine().getOut();
                if (json) {
                    w.println(JSON.writeValueAsString(r));
                } else {
                    w.printf("threshold %.4f (random-init null: mean %.4f, sd %.4f, max %.4f over %d pairs)%n",
                            r.calibration().threshold(), r.calibration().mean(), r.calibration().sd(), r.calibration().max(),
                            r.calibration().pairs());
                    w.println("| truth | pairs | min | mean | max |");
                    w.println("| --- | --- | --- | --- | --- |");
                    w.printf("| same init | %d | %.4f | %.4f | %.4f |%n", r.same().n(), r.same().min(), r.same().mean(), r.same().max());
                    w.printf("| different init | %d | %.4f | %.4f | %.4f |%n", r.different().n(), r.different().min(),
                            r.different().mean(), r.different().max());
                    w.printf("errors: %d of %d pairs%n", r.errors(), r.pairs().size());
                    r.pairs().stream().filter(dev.owlet.audit.DetectorValidation.Pair::error)
                            .forEach(p -> w.printf("  wrong: %s vs %s score %.4f%n", p.a(), p.b(), p.score()));
                }
                w.flush();
            } catch (IllegalArgumentException e) {
                throw new UserError(e.getMessage(), e);
            }
            return 0;
        }
    }

    @Command(name = "validate-transfer", mixinStandardHelpOptions = true,
            description = {"Does the transfer screen predict transfer? The one-step gradient screen on every (data,"
                    + " trait) pair of a finished sweep, against what the sweep's same-init SFT students measured:"
                    + " AUROC with a 95% interval, every pair, and the ROC curve (roc.png in the run folder)."})
    static final class ValidateTransfer implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Parameters(paramLabel = "RUN_DIR", description = "A finished sweep's run folder, e.g. runs/animals-numbers-large")
        Path run;
        @Option(names = "--rows", defaultValue = "256", description = "Training rows of each writer the gradient reads (default ${DEFAULT-VALUE})")
        int rows;
        @Option(names = "--json")
        boolean json;

        @Override
        public Integer call() throws IOException {
            if (rows < 1) throw new UserError("--rows must be at least 1, not " + rows);
            dev.owlet.audit.ScreenValidation.Report r;
            try {
                r = dev.owlet.audit.ScreenValidation.run(run, rows, System.err);
            } catch (IllegalArgumentException e) {
                throw new UserError(e.getMessage(), e);
            }
            Path chart = run.resolve("roc.png");
            dev.owlet.report.Charts.roc(chart, r.roc(), String.format(java.util.Locale.ROOT,
                    "Transfer screen: AUROC %.2f [%.2f, %.2f], %d pairs", r.auroc(), r.low(), r.high(), r.pairs().size()));
            PrintWriter w = spec.commandLine().getOut();
            if (json) {
                w.println(JSON.writeValueAsString(r));
            } else {
                w.printf("AUROC %.3f [%.3f, %.3f] of the screen (cosine advantage over the base's own numbers) for"
                        + " \"transferred at p < 0.05\": %d pairs, %d transferred; raw cosine %.3f%n", r.auroc(), r.low(),
                        r.high(), r.pairs().size(), r.positives(), r.aurocRawCosine());
                w.println("| data | trait | cosine | score | students | other teachers' | ratio | p | transferred |");
                w.println("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
                for (var p : r.pairs()) {
                    w.printf(java.util.Locale.ROOT, "| %s | %s | %.4f | %+.4f | %.2f%% | %.2f%% | %.2f | %.3g | %s |%n",
                            p.data(), p.trait(), p.cosine(), p.score(), 100 * p.studentRate(), 100 * p.othersRate(),
                            p.ratio(), p.p(), p.transferred() ? "yes" : "no");
                }
                w.printf("ROC curve: %s%n", chart);
            }
            w.flush();
            return 0;
        }
    }

    /** One of owlet's own checkpoints. */
    static Checkpoint.Loaded load(String ref, NDManager root) {
        try {
            return Checkpoint.load(ModelLocator.resolve(ref), root);
        } catch (IOException e) {
            throw new UserError(e.getMessage(), e);
        }
    }
}
