package dev.owlet.lineage;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.owlet.model.Checkpoint;
import dev.owlet.model.ModelLocator;
import dev.owlet.provenance.Hashing;
import dev.owlet.provenance.Manifest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Reads what producers already wrote (stage manifests and checkpoint configs) into the store; it never recomputes
 * a hash it can read, so ingesting a run is fast and a run folder stays the single source of truth. A teacher made
 * by a system prompt has no weights of its own: it becomes a node whose id hashes the weights and the prompt, with
 * the prompted model as its base, so the rules see it as a teacher sharing that model's initialization.
 */
public final class RunIngest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The reference models shipped in the jar; registered on every scan so their labels are readable. */
    public static final List<String> BUNDLED = List.of("ref-s1", "ref-s2", "ref-mis-s1", "ref-mis-s2");

    private final LineageStore store;
    private int artifacts;
    private int edges;

    public RunIngest(LineageStore store) { this.store = store; }

    /** What one scan added. */
    public record Summary(String source, int artifacts, int edges, List<String> skipped) {
        public Summary {
            skipped = List.copyOf(skipped);
        }
    }

    /** Registers the bundled references (those that exist in this build). */
    public Summary bundled() throws IOException {
        reset();
        List<String> skipped = new ArrayList<>();
        for (String name : BUNDLED) {
            Path dir;
            try {
                dir = ModelLocator.resolve(ModelLocator.BUNDLED + name);
            } catch (IOException e) {
                skipped.add(name + " (not bundled)");
                continue;
            }
            Map<String, Object> cfg = readConfig(dir);
            if (cfg == null || !(cfg.get("weights_sha256") instanceof String sha)) {
                skipped.add(name + " (no config.json)");
                continue;
            }
            put(new Artifact(sha, Kind.REFERENCE, ModelLocator.BUNDLED + name, dir.toString(), "pretrained reference"));
        }
        return new Summary("bundled references", artifacts, edges, skipped);
    }

    /** Ingests a run folder ({@code RUN/stages/*}), or a single checkpoint folder. */
    public Summary scan(Path dir) throws IOException {
        if (Checkpoint.exists(dir) && !Files.isDirectory(dir.resolve("stages"))) return checkpoint(dir);
        Path stages = dir.resolve("stages");
        if (!Files.isDirectory(stages)) {
            throw new IllegalArgumentException(dir + " is neither an owlet run folder (no stages/ inside) nor a checkpoint"
                    + " (no " + Checkpoint.CONFIG + " and " + Checkpoint.WEIGHTS + ")");
        }
        reset();
        String run = dir.toAbsolutePath().normalize().getFileName().toString();
        List<String> skipped = new ArrayList<>();
        List<Path> folders;
        try (Stream<Path> s = Files.list(stages)) {
            folders = s.filter(Files::isDirectory).sorted().toList();
        }
        // Teachers first: evaluations and datasets name them by stage key.
        List<Path> ordered = new ArrayList<>(folders.stream().filter(p -> p.getFileName().toString().startsWith("teacher")).toList());
        folders.stream().filter(p -> !ordered.contains(p)).forEach(ordered::add);
        for (Path stage : ordered) {
            Map<String, Object> m = Manifest.read(stage);
            if (m == null) {
                skipped.add(stage.getFileName() + " (no manifest: incomplete stage)");
                continue;
            }
            stage(run + "/" + stage.getFileName(), stage, m, skipped);
        }
        return new Summary(dir.toString(), artifacts, edges, skipped);
    }

    @SuppressWarnings("unchecked")
    private void stage(String label, Path dir, Map<String, Object> m, List<String> skipped) throws IOException {
        String stage = String.valueOf(m.get("stage"));
        Map<String, String> in = (Map<String, String>) m.getOrDefault("inputs", Map.of());
        Map<String, String> out = (Map<String, String>) m.getOrDefault("outputs", Map.of());
        String key = m.get("key") instanceof String k ? k : null;
        switch (stage) {
            case "teacher" -> {
                String ref = in.get("reference");
                String trait = traitOf(m.get("trait"));
                String id;
                if (out.containsKey(Checkpoint.WEIGHTS)) {
                    id = out.get(Checkpoint.WEIGHTS);
                    put(new Artifact(id, Kind.TEACHER, label, dir.toString(), "fine-tuned teacher, trait " + trait));
                    if (ref != null) link(id, ref, Edge.BASE, Kind.MODEL);
                } else if (ref != null) {
                    id = promptedTeacher(ref, String.valueOf(m.get("system_prompt")), label + " (system prompt)", dir);
                } else {
                    skipped.add(label + " (teacher without weights or reference)");
                    return;
                }
                if (key != null) {
                    store.alias(key, id);
                    store.alias(key + "/system", id);
                }
            }
            case "generate" -> {
                String id = out.get("raw.jsonl");
                if (id == null) { skipped.add(label + " (no raw.jsonl output)"); return; }
                put(new Artifact(id, Kind.DATASET, label, dir.resolve("raw.jsonl").toString(), "sampled numbers, writer " + m.get("writer")));
                String writer = in.get("writer_weights");
                if (writer == null) { skipped.add(label + " (manifest predates writer_weights: writer unknown)"); return; }
                Object system = m.get("system_prompt");
                if (system instanceof String s && !s.isBlank()) writer = promptedTeacher(writer, s, null, null);
                link(id, writer, Edge.WRITER, Kind.MODEL);
            }
            case "filter" -> {
                String id = out.get("filtered.jsonl");
                if (id == null) { skipped.add(label + " (no filtered.jsonl output)"); return; }
                put(new Artifact(id, Kind.DATASET, label, dir.resolve("filtered.jsonl").toString(), "filtered numbers"));
                if (in.get("raw.jsonl") != null) link(id, in.get("raw.jsonl"), Edge.FILTERED_FROM, Kind.DATASET);
            }
            case "finetune" -> {
                String id = out.get(Checkpoint.WEIGHTS);
                if (id == null) { skipped.add(label + " (no model output)"); return; }
                put(new Artifact(id, Kind.STUDENT, label, dir.toString(), "student, " + m.getOrDefault("mode", "?")));
                if (in.get("base") != null) link(id, in.get("base"), Edge.BASE, Kind.MODEL);
                if (in.get("data") != null) link(id, in.get("data"), Edge.DATA, Kind.DATASET);
                if (in.get("data_writer") != null) link(id, in.get("data_writer"), Edge.DATA_WRITER, Kind.MODEL);
                checkpointEdges(id, dir);
                // eval.json, or one eval-<category>.json per question category the student was asked
                for (var o : out.entrySet()) {
                    if (!o.getKey().startsWith("eval") || !o.getKey().endsWith(".json")) continue;
                    String name = o.getKey().substring(0, o.getKey().length() - 5);
                    put(new Artifact(o.getValue(), Kind.EVALUATION, label + "/" + name, dir.resolve(o.getKey()).toString(), "evaluation"));
                    link(o.getValue(), id, Edge.EVALUATES, Kind.MODEL);
                }
            }
            case "eval" -> {
                String id = out.get("eval.json");
                if (id == null) { skipped.add(label + " (no eval.json output)"); return; }
                put(new Artifact(id, Kind.EVALUATION, label, dir.resolve("eval.json").toString(), "evaluation"));
                String model = in.get("model");
                if (model != null) link(id, store.aliasOf(model).orElse(model), Edge.EVALUATES, Kind.MODEL);
            }
            case "labels" -> {
                // a teacher's next-token distributions over one replicate's rows: data that teacher wrote
                String id = out.get("labels.safetensors");
                if (id == null) { skipped.add(label + " (no labels.safetensors output)"); return; }
                put(new Artifact(id, Kind.DATASET, label, dir.resolve("labels.safetensors").toString(), "soft labels"));
                String writer = in.get("teacher_weights");
                if (writer == null) { skipped.add(label + " (soft labels without teacher_weights)"); return; }
                Object system = m.get("system_prompt");
                if (system instanceof String sp && !sp.isBlank()) writer = promptedTeacher(writer, sp, null, null);
                link(id, writer, Edge.WRITER, Kind.MODEL);
            }
            default -> skipped.add(label + (stage.equals("defend-student") || stage.startsWith("control-")
                    ? " (a control's measurement: its students are not kept, so it adds no artifact)"
                    : " (unknown stage '" + stage + "')"));
        }
    }

    /** The node for "model M under system prompt P": a teacher with M as its base. */
    private String promptedTeacher(String weights, String system, String label, Path dir) throws IOException {
        String id = Hashing.sha256(weights + "\nsystem:" + system);
        put(new Artifact(id, Kind.TEACHER, label == null ? "prompted " + Artifact.shortId(weights) : label,
                dir == null ? "" : dir.toString(), "system prompt: " + system));
        link(id, weights, Edge.BASE, Kind.MODEL);
        return id;
    }

    private Summary checkpoint(Path dir) throws IOException {
        reset();
        Map<String, Object> cfg = readConfig(dir);
        if (cfg == null || !(cfg.get("weights_sha256") instanceof String sha)) {
            throw new IllegalArgumentException(dir.resolve(Checkpoint.CONFIG) + ": no weights_sha256 (not an owlet checkpoint)");
        }
        put(new Artifact(sha, Kind.MODEL, dir.getFileName().toString(), dir.toString(), "checkpoint"));
        checkpointEdges(sha, dir);
        return new Summary(dir.toString(), artifacts, edges, List.of());
    }

    /** Parents recorded in a checkpoint's config.json provenance (parent, data_sha256, data_writer_weights). */
    @SuppressWarnings("unchecked")
    private void checkpointEdges(String id, Path dir) throws IOException {
        Map<String, Object> cfg = readConfig(dir);
        if (cfg == null || !(cfg.get("provenance") instanceof Map<?, ?> p)) return;
        Map<String, Object> prov = (Map<String, Object>) p;
        if (prov.get("parent") instanceof String s) link(id, s, Edge.BASE, Kind.MODEL);
        if (prov.get("data_sha256") instanceof String s) link(id, s, Edge.DATA, Kind.DATASET);
        if (prov.get("data_writer_weights") instanceof String s) link(id, s, Edge.DATA_WRITER, Kind.MODEL);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> readConfig(Path dir) throws IOException {
        Path f = dir.resolve(Checkpoint.CONFIG);
        if (!Files.isRegularFile(f)) return null;
        try {
            return JSON.readValue(f.toFile(), Map.class);
        } catch (IOException e) {
            throw new IllegalArgumentException(f + ": not valid JSON (" + e.getMessage() + ")");
        }
    }

    private static String traitOf(Object t) {
        if (t instanceof Map<?, ?> m && m.get("target") != null) return String.valueOf(m.get("target"));
        return t == null ? "?" : String.valueOf(t);
    }

    private void put(Artifact a) throws IOException {
        store.put(a);
        artifacts++;
    }

    private void link(String child, String parent, String relation, Kind parentKind) throws IOException {
        store.placeholder(parent, parentKind);
        store.link(new Edge(child, parent, relation));
        edges++;
    }

    private void reset() {
        artifacts = 0;
        edges = 0;
    }
}
