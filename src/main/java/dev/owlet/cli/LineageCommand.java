package dev.owlet.cli;

import dev.owlet.lineage.Artifact;
import dev.owlet.lineage.ExternalArtifacts;
import dev.owlet.lineage.Kind;
import dev.owlet.lineage.LineageGraph;
import dev.owlet.lineage.LineageRules;
import dev.owlet.lineage.LineageStore;
import dev.owlet.lineage.RunIngest;
import dev.owlet.model.ModelLocator;
import dev.owlet.provenance.AtomicFiles;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code owlet lineage}: the artifact graph (scan, show, export, check, register) over {@code runs/lineage.db}. */
@Command(name = "lineage", mixinStandardHelpOptions = true,
        description = "Lineage store: content-hashed artifacts and their parents, and the shared-initialization rule.",
        subcommands = {LineageCommand.Scan.class, LineageCommand.Show.class, LineageCommand.Export.class,
                LineageCommand.Check.class, LineageCommand.Register.class})
final class LineageCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() { spec.commandLine().usage(spec.commandLine().getOut()); }

    /** The options and plumbing every subcommand shares. */
    abstract static class Base implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Option(names = "--db", defaultValue = "runs/lineage.db", description = "Lineage database (default ${DEFAULT-VALUE})")
        Path db;

        PrintWriter out() { return spec.commandLine().getOut(); }

        /** Runs the body, turning the services' bad-input errors into exit 2. */
        @Override
        public Integer call() throws IOException {
            try {
                return body();
            } catch (IllegalArgumentException e) {
                throw new UserError(e.getMessage(), e);
            } finally {
                out().flush();
            }
        }

        abstract Integer body() throws IOException;
    }

    @Command(name = "scan", mixinStandardHelpOptions = true,
            description = "Ingest run folders (or checkpoint folders) into the store; with none, every run under runs/.")
    static final class Scan extends Base {
        @Parameters(arity = "0..*", paramLabel = "RUN_DIR")
        List<Path> dirs = new ArrayList<>();

        @Override
        Integer body() throws IOException {
            List<Path> todo = new ArrayList<>(dirs);
            if (todo.isEmpty()) {
                Path runs = db.toAbsolutePath().getParent();
                if (runs != null && Files.isDirectory(runs)) {
                    try (Stream<Path> s = Files.list(runs)) {
                        s.filter(p -> Files.isDirectory(p.resolve("stages"))).sorted().forEach(todo::add);
                    }
                }
                if (todo.isEmpty()) throw new UserError("no run folders (with stages/) next to " + db + "; name one: owlet lineage scan RUN_DIR");
            }
            for (Path d : todo) {
                if (!Files.isDirectory(d)) throw new UserError(d + " is not a folder");
            }
            try (LineageStore store = LineageStore.create(db)) {
                RunIngest ingest = new RunIngest(store);
                report(ingest.bundled());
                for (Path d : todo) report(ingest.scan(d));
                out().printf("store: %s (%d artifacts, %d edges)%n", db, store.artifacts().size(), store.edges().size());
            }
            return 0;
        }

        private void report(RunIngest.Summary s) {
            out().printf("%s: %d artifact records, %d edges%n", s.source(), s.artifacts(), s.edges());
            for (String k : s.skipped()) out().println("  skipped " + k);
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "Print the ancestry tree of an artifact.")
    static final class Show extends Base {
        @Parameters(paramLabel = "ID", description = "Artifact id (a unique SHA-256 prefix) or label")
        String id;

        @Override
        Integer body() throws IOException {
            try (LineageStore store = LineageStore.openExisting(db)) {
                out().print(LineageGraph.tree(store, store.resolve(id)));
            }
            return 0;
        }
    }

    @Command(name = "export", mixinStandardHelpOptions = true,
            description = "Write the graph (or one artifact's ancestry) as JSON, Mermaid or Graphviz dot.")
    static final class Export extends Base {
        @Option(names = "--format", defaultValue = "json", description = "json, mermaid or dot (default ${DEFAULT-VALUE})")
        String format;
        @Option(names = "--root", description = "Only this artifact and its ancestors")
        String root;
        @Option(names = "--out", description = "Output file (written atomically); default standard output")
        Path file;

        @Override
        Integer body() throws IOException {
            if (!List.of("json", "mermaid", "dot").contains(format)) throw new UserError("--format must be json, mermaid or dot, got " + format);
            try (LineageStore store = LineageStore.openExisting(db)) {
                LineageGraph.Graph g = root == null ? LineageGraph.all(store) : LineageGraph.ancestors(store, store.resolve(root));
                String text = switch (format) {
                    case "json" -> LineageGraph.json(g);
                    case "mermaid" -> LineageGraph.mermaid(g);
                    default -> LineageGraph.dot(g);
                };
                if (file == null) {
                    out().print(text.endsWith("\n") ? text : text + "\n");
                } else {
                    AtomicFiles.writeString(file, text);
                    out().printf("wrote %s (%d artifacts, %d edges)%n", file, g.artifacts().size(), g.edges().size());
                }
            }
            return 0;
        }
    }

    @Command(name = "check", mixinStandardHelpOptions = true,
            description = "Flag every student trained on data from a teacher that shares its initialization.")
    static final class Check extends Base {
        @Option(names = "--json")
        boolean json;
        @Option(names = "--flagged", description = "Print only flagged students")
        boolean onlyFlagged;

        @Override
        Integer body() throws IOException {
            try (LineageStore store = LineageStore.openExisting(db)) {
                List<LineageRules.Finding> fs = LineageRules.check(store);
                long flagged = fs.stream().filter(f -> f.status() == LineageRules.Status.FLAG).count();
                if (json) {
                    List<Map<String, Object>> rows = new ArrayList<>();
                    for (LineageRules.Finding f : fs) {
                        Map<String, Object> r = new LinkedHashMap<>();
                        r.put("student", f.student().id());
                        r.put("student_label", f.student().label());
                        r.put("writer", f.writer().id());
                        r.put("writer_label", f.writer().label());
                        r.put("status", f.status().name().toLowerCase());
                        r.put("shared_base", f.sharedBase() == null ? null : f.sharedBase().id());
                        r.put("path", f.path());
                        rows.add(r);
                    }
                    out().println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(rows));
                } else {
                    for (LineageRules.Finding f : fs) {
                        if (!onlyFlagged || f.status() == LineageRules.Status.FLAG) out().println(f.describe());
                    }
                    out().printf("%d student/data pair(s) checked, %d flagged (teacher shares the student's initialization)%n",
                            fs.size(), flagged);
                }
            }
            return 0;
        }
    }

    @Command(name = "register", mixinStandardHelpOptions = true,
            description = "Register an external artifact (API model, outside dataset, a Hugging Face checkpoint) with its declared parents.")
    static final class Register extends Base {
        @Option(names = "--id", description = "Id for an artifact owlet cannot hash (e.g. openai:gpt-4.1-nano)")
        String id;
        @Option(names = "--model", paramLabel = "REF", description = "A model to register under its content hash: hf:DIR"
                + " (the checkpoint's digest over config, weights, tokenizer and template: the id owlet run records for it),"
                + " bundled:NAME or an owlet checkpoint folder (its weights' SHA-256)")
        String model;
        @Option(names = "--file", description = "A file to hash for the id (a dataset)")
        Path file;
        @Option(names = "--kind", required = true, description = "model, teacher, student, reference or dataset")
        String kind;
        @Option(names = "--label")
        String label;
        @Option(names = "--base", description = "Declared base model (id, prefix, label, a new name, or hf:DIR: registered by its digest)")
        String base;
        @Option(names = "--data", description = "Dataset a model was trained on")
        String data;
        @Option(names = "--writer", description = "Model that wrote a dataset (as --base)")
        String writer;

        @Override
        Integer body() throws IOException {
            Kind k = Kind.parse(kind);
            if (model != null && (id != null || file != null)) throw new UserError("give one of --model, --id and --file");
            if (id != null && ModelLocator.isHf(id)) {
                throw new UserError("--id " + id + ": a Hugging Face checkpoint is registered by its digest: --model " + id);
            }
            // the combination is checked before any checkpoint is hashed or any declared parent registered
            new ExternalArtifacts.Declaration(model != null ? model : id, file, k, label, base, data, writer);
            String theId = id;
            String path = null;
            String theLabel = label;
            if (model != null) {
                theId = ModelLocator.digest(model, Path.of(""));
                path = ModelLocator.resolve(model, Path.of("")).toString();
                if (theLabel == null) theLabel = model;
            }
            try (LineageStore store = LineageStore.create(db)) {
                ExternalArtifacts.Declaration d = new ExternalArtifacts.Declaration(theId, file, k, theLabel,
                        parent(store, base), data, parent(store, writer), path);
                Artifact a = ExternalArtifacts.register(store, d);
                out().printf("registered %s %s (%s)%n", a.kind().label(), a.label(), a.id());
            }
            return 0;
        }

        /**
         * A declared parent as the store will know it: an {@code hf:DIR} model is registered (if new) under its digest,
         * labelled with the name given, and referred to by that digest; anything else is passed on as written.
         */
        private static String parent(LineageStore store, String ref) throws IOException {
            if (ref == null || !ModelLocator.isHf(ref)) return ref;
            String digest = ModelLocator.digest(ref, Path.of(""));
            if (store.get(digest).isEmpty()) {
                store.put(new Artifact(digest, Kind.MODEL, ref, ModelLocator.resolve(ref, Path.of("")).toString(),
                        "Hugging Face checkpoint"));
            }
            return digest;
        }
    }
}
