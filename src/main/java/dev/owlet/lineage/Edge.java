package dev.owlet.lineage;

import java.util.Set;

/**
 * "child came from parent": {@code base} (a model fine-tuned from a model), {@code writer} (a dataset sampled from a
 * model), {@code filtered_from} (a dataset filtered from another), {@code data} (a model trained on a dataset),
 * {@code data_writer} (a model trained on data written by a model, when the dataset itself is not in the store),
 * {@code evaluates} (an evaluation of a model).
 */
public record Edge(String child, String parent, String relation) {
    public static final String BASE = "base";
    public static final String WRITER = "writer";
    public static final String FILTERED_FROM = "filtered_from";
    public static final String DATA = "data";
    public static final String DATA_WRITER = "data_writer";
    public static final String EVALUATES = "evaluates";
    public static final Set<String> RELATIONS = Set.of(BASE, WRITER, FILTERED_FROM, DATA, DATA_WRITER, EVALUATES);

    public Edge {
        if (child == null || child.isBlank() || parent == null || parent.isBlank()) {
            throw new IllegalArgumentException("edge needs a child and a parent id");
        }
        if (child.equals(parent)) throw new IllegalArgumentException("artifact " + child + " cannot be its own " + relation);
        if (!RELATIONS.contains(relation)) throw new IllegalArgumentException("unknown relation '" + relation + "', one of " + RELATIONS);
    }
}
