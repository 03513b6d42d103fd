package dev.owlet.lineage;

/**
 * One node of the lineage graph. The id is a content hash (the weights SHA-256 for a model, the file SHA-256 for a
 * dataset or evaluation) so the same artifact found in two run folders is one node; external artifacts that owlet
 * cannot hash (an API model) use the id their registrant gives.
 *
 * @param label a human name (run/stage, bundled:NAME)
 * @param path where it was found, or empty
 * @param note a short description (trait, mode, system prompt)
 */
public record Artifact(String id, Kind kind, String label, String path, String note) {
    public Artifact {
        if (id == null || id.isBlank()) throw new IllegalArgumentException("artifact id must not be blank");
        if (kind == null) throw new IllegalArgumentException("artifact " + id + ": kind must be given");
        label = label == null || label.isBlank() ? shortId(id) : label;
        path = path == null ? "" : path;
        note = note == null ? "" : note;
    }

    /** The first 12 characters: enough to be unique in any store owlet makes, and what `show` accepts. */
    public static String shortId(String id) { return id.length() <= 12 ? id : id.substring(0, 12); }

    public String shortId() { return shortId(id); }
}
