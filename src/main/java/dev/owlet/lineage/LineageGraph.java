package dev.owlet.lineage;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Renderings of the store: the ancestry tree of one artifact (what `lineage show` prints) and the whole graph, or
 * one artifact's ancestors, as JSON, Mermaid or Graphviz for a report. Edges are drawn parent → child, the way
 * information flows.
 */
public final class LineageGraph {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private LineageGraph() {}

    /** A subgraph: artifacts and the edges among them. */
    public record Graph(List<Artifact> artifacts, List<Edge> edges) {
        public Graph {
            artifacts = List.copyOf(artifacts);
            edges = List.copyOf(edges);
        }
    }

    public static Graph all(LineageStore store) throws IOException {
        return new Graph(store.artifacts(), store.edges());
    }

    /** The artifact and everything it descends from. */
    public static Graph ancestors(LineageStore store, Artifact root) throws IOException {
        Set<String> seen = new LinkedHashSet<>();
        List<Edge> edges = new ArrayList<>();
        Deque<String> todo = new ArrayDeque<>(List.of(root.id()));
        while (!todo.isEmpty()) {
            String id = todo.pop();
            if (!seen.add(id)) continue;
            for (Edge e : store.parents(id)) {
                edges.add(e);
                todo.push(e.parent());
            }
        }
        List<Artifact> nodes = new ArrayList<>();
        for (String id : seen) nodes.add(store.get(id).orElseThrow());
        return new Graph(nodes, edges);
    }

    /** The ancestry tree as indented text; an artifact reached twice is expanded once. */
    public static String tree(LineageStore store, Artifact root) throws IOException {
        StringBuilder sb = new StringBuilder(line(root)).append('\n');
        tree(store, root.id(), "", sb, new HashSet<>(Set.of(root.id())));
        return sb.toString();
    }

    private static void tree(LineageStore store, String id, String indent, StringBuilder sb, Set<String> expanded) throws IOException {
        List<Edge> parents = store.parents(id);
        for (int i = 0; i < parents.size(); i++) {
            Edge e = parents.get(i);
            boolean last = i == parents.size() - 1;
            Artifact p = store.get(e.parent()).orElseThrow();
            boolean again = !expanded.add(p.id());
            sb.append(indent).append(last ? "└─ " : "├─ ").append(e.relation()).append(": ").append(line(p))
                    .append(again && !store.parents(p.id()).isEmpty() ? "  (ancestry shown above)" : "").append('\n');
            if (!again) tree(store, p.id(), indent + (last ? "   " : "│  "), sb, expanded);
        }
    }

    private static String line(Artifact a) {
        return a.label() + "  " + a.kind().label() + "  " + a.shortId() + (a.note().isEmpty() ? "" : "  (" + a.note() + ")");
    }

    public static String json(Graph g) throws IOException {
        Map<String, Object> root = new LinkedHashMap<>();
        List<Map<String, Object>> nodes = new ArrayList<>();
        for (Artifact a : g.artifacts()) {
            Map<String, Object> n = new LinkedHashMap<>();
            n.put("id", a.id());
            n.put("kind", a.kind().label());
            n.put("label", a.label());
            n.put("path", a.path());
            n.put("note", a.note());
            nodes.add(n);
        }
        List<Map<String, Object>> edges = new ArrayList<>();
        for (Edge e : g.edges()) edges.add(Map.of("child", e.child(), "parent", e.parent(), "relation", e.relation()));
        root.put("artifacts", nodes);
        root.put("edges", edges);
        return JSON.writeValueAsString(root);
    }

    public static String mermaid(Graph g) {
        StringBuilder sb = new StringBuilder("flowchart LR\n");
        for (Artifact a : g.artifacts()) {
            sb.append("  ").append(mid(a.id())).append(shape(a, "[\"", "\"]", "[(\"", "\")]"))
                    .append('\n');
        }
        for (Edge e : g.edges()) {
            sb.append("  ").append(mid(e.parent())).append(" -->|").append(e.relation()).append("| ")
                    .append(mid(e.child())).append('\n');
        }
        return sb.toString();
    }

    public static String dot(Graph g) {
        StringBuilder sb = new StringBuilder("digraph lineage {\n  rankdir=LR;\n  node [fontname=\"Helvetica\"];\n");
        for (Artifact a : g.artifacts()) {
            sb.append("  \"").append(a.id()).append("\" [label=\"").append(esc(a.label())).append("\\n")
                    .append(a.kind().label()).append(' ').append(a.shortId()).append("\", shape=")
                    .append(a.kind() == Kind.DATASET ? "cylinder" : a.kind() == Kind.EVALUATION ? "note" : "box").append("];\n");
        }
        for (Edge e : g.edges()) {
            sb.append("  \"").append(e.parent()).append("\" -> \"").append(e.child()).append("\" [label=\"")
                    .append(e.relation()).append("\"];\n");
        }
        return sb.append("}\n").toString();
    }

    private static String shape(Artifact a, String open, String close, String dataOpen, String dataClose) {
        String text = esc(a.label()) + "<br/>" + a.kind().label() + " " + a.shortId();
        return a.kind() == Kind.DATASET ? dataOpen + text + dataClose : open + text + close;
    }

    /** Mermaid node ids must be plain words; external ids may hold ':' or '/'. */
    private static String mid(String id) { return "n" + Artifact.shortId(id).replaceAll("[^A-Za-z0-9]", "_"); }

    private static String esc(String s) { return s.replace("\"", "'"); }
}
