package dev.owlet.lineage;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The rule the paper motivates: a student trained on data written by a teacher that shares its initialization
 * (the same model somewhere up both base chains) can inherit the teacher's traits even through filtered data
 * (Cloud et al. 2025, Sec. 5 and Theorem 1). Data written by the student's own ancestor is reported but not
 * flagged: with θ_T = θ_0 the theorem's pull toward the teacher is zero.
 */
public final class LineageRules {
    private LineageRules() {}

    /** Verdict for one (student, data writer) pair. */
    public enum Status { FLAG, OK_SELF, OK_DIFFERENT_INIT }

    /**
     * @param path the chain of labels from the student through its data to the writer and up to the shared base
     * @param sharedBase the common ancestor, or null when the initializations differ
     */
    public record Finding(Artifact student, Artifact writer, Status status, Artifact sharedBase, List<String> path) {
        public Finding {
            path = List.copyOf(path);
        }

        public String describe() {
            return switch (status) {
                case FLAG -> "FLAG  " + student.label() + ": trained on data written by " + writer.label()
                        + ", which shares its initialization " + sharedBase.label() + "\n      path: " + String.join(" ", path);
                case OK_SELF -> "ok    " + student.label() + ": data written by its own ancestor " + writer.label()
                        + " (no trait difference to carry)";
                case OK_DIFFERENT_INIT -> "ok    " + student.label() + ": data written by " + writer.label()
                        + " (different initialization)";
            };
        }
    }

    /** Every student (a model with data or data_writer parents) against every model that wrote its data. */
    public static List<Finding> check(LineageStore store) throws IOException {
        List<Finding> out = new ArrayList<>();
        for (Artifact a : store.artifacts()) {
            if (!a.kind().isModel()) continue;
            Map<String, List<String>> writers = writers(store, a);
            for (var w : writers.entrySet()) out.add(judge(store, a, store.get(w.getKey()).orElseThrow(), w.getValue()));
        }
        return out;
    }

    /** Writers of a model's training data, each with the labelled path student → data → ... → writer. */
    static Map<String, List<String>> writers(LineageStore store, Artifact student) throws IOException {
        Map<String, List<String>> found = new LinkedHashMap<>();
        for (Edge e : store.parents(student.id())) {
            if (e.relation().equals(Edge.DATA)) {
                List<String> path = new ArrayList<>(List.of(student.label()));
                datasetWriters(store, e.parent(), path, found, new HashSet<>());
            }
        }
        // Only when the data itself does not lead to a writer (the dataset was not ingested).
        for (Edge e : store.parents(student.id())) {
            if (e.relation().equals(Edge.DATA_WRITER) && !found.containsKey(e.parent())) {
                found.put(e.parent(), List.of(student.label(), "-data_writer->", label(store, e.parent())));
            }
        }
        return found;
    }

    private static void datasetWriters(LineageStore store, String dataset, List<String> path,
                                       Map<String, List<String>> found, Set<String> seen) throws IOException {
        if (!seen.add(dataset)) return;
        String rel = path.size() == 1 ? "-data->" : "-filtered_from->";
        List<String> here = new ArrayList<>(path);
        here.add(rel);
        here.add(label(store, dataset));
        for (Edge e : store.parents(dataset)) {
            if (e.relation().equals(Edge.WRITER)) {
                List<String> p = new ArrayList<>(here);
                p.add("-writer->");
                p.add(label(store, e.parent()));
                found.putIfAbsent(e.parent(), p);
            } else if (e.relation().equals(Edge.FILTERED_FROM)) {
                datasetWriters(store, e.parent(), here, found, seen);
            }
        }
    }

    private static Finding judge(LineageStore store, Artifact student, Artifact writer, List<String> dataPath) throws IOException {
        List<String> studentChain = baseChain(store, student.id());
        List<String> writerChain = baseChain(store, writer.id());
        Set<String> studentAncestors = new HashSet<>(studentChain.subList(1, studentChain.size()));
        for (int i = 0; i < writerChain.size(); i++) {
            String shared = writerChain.get(i);
            if (!studentAncestors.contains(shared)) continue;
            Artifact base = store.get(shared).orElseThrow();
            if (i == 0) return new Finding(student, writer, Status.OK_SELF, base, dataPath);
            List<String> path = new ArrayList<>(dataPath);
            for (int k = 1; k <= i; k++) {
                path.add("-base->");
                path.add(label(store, writerChain.get(k)));
            }
            int j = studentChain.indexOf(shared);
            for (int k = j - 1; k >= 0; k--) {
                path.add("<-base-");
                path.add(label(store, studentChain.get(k)));
            }
            return new Finding(student, writer, Status.FLAG, base, path);
        }
        return new Finding(student, writer, Status.OK_DIFFERENT_INIT, null, dataPath);
    }

    /** The model and its base, its base's base, ... (first base edge each step; cycles stop the walk). */
    public static List<String> baseChain(LineageStore store, String id) throws IOException {
        List<String> chain = new ArrayList<>();
        String cur = id;
        while (cur != null && !chain.contains(cur)) {
            chain.add(cur);
            String next = null;
            for (Edge e : store.parents(cur)) {
                if (e.relation().equals(Edge.BASE)) { next = e.parent(); break; }
            }
            cur = next;
        }
        return chain;
    }

    private static String label(LineageStore store, String id) throws IOException {
        return store.get(id).map(a -> a.label() + " [" + a.shortId() + "]").orElse(Artifact.shortId(id));
    }
}
