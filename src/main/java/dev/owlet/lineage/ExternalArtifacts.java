package dev.owlet.lineage;

import dev.owlet.provenance.Hashing;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Artifacts owlet did not make (an API model, a dataset from elsewhere), registered with what their owner declares:
 * a model's base model, a dataset's writer, a student's data. The declared parents need not be in the store; an
 * unknown one becomes a placeholder, so "fine-tuned from gpt-4.1" can be written before gpt-4.1 is described.
 */
public final class ExternalArtifacts {
    private ExternalArtifacts() {}

    /**
     * What the registrant declares; at least an id or a file to hash.
     *
     * @param path where the artifact lives when the id is a hash the caller computed (a model folder), else null
     */
    public record Declaration(String id, Path file, Kind kind, String label, String base, String data, String writer,
                              String path) {
        public Declaration(String id, Path file, Kind kind, String label, String base, String data, String writer) {
            this(id, file, kind, label, base, data, writer, null);
        }

        public Declaration {
            if ((id == null || id.isBlank()) && file == null) throw new IllegalArgumentException("register needs --id, --file or --model");
            if (kind == null) throw new IllegalArgumentException("register needs --kind");
            if (kind == Kind.UNKNOWN) throw new IllegalArgumentException("--kind unknown cannot be registered");
            if (base != null && !kind.isModel()) throw new IllegalArgumentException("--base is for models, not a " + kind.label());
            if (writer != null && kind != Kind.DATASET) throw new IllegalArgumentException("--writer is for datasets, not a " + kind.label());
            if (data != null && !kind.isModel()) throw new IllegalArgumentException("--data is for models, not a " + kind.label());
        }
    }

    /** Registers the artifact and its declared parents; returns its id. */
    public static Artifact register(LineageStore store, Declaration d) throws IOException {
        String id = d.id();
        if (d.file() != null) {
            if (!Files.isRegularFile(d.file())) throw new IllegalArgumentException("--file " + d.file() + " does not exist");
            id = Hashing.sha256(d.file());
        }
        Artifact a = new Artifact(id, d.kind(), d.label() == null ? id : d.label(),
                d.file() != null ? d.file().toString() : d.path(), "external");
        store.put(a);
        if (d.base() != null) link(store, id, d.base(), Edge.BASE, Kind.MODEL);
        if (d.data() != null) link(store, id, d.data(), Edge.DATA, Kind.DATASET);
        if (d.writer() != null) link(store, id, d.writer(), Edge.WRITER, Kind.MODEL);
        return store.get(id).orElseThrow();
    }

    private static void link(LineageStore store, String child, String parentRef, String relation, Kind kind) throws IOException {
        String parent;
        try {
            parent = store.resolve(parentRef).id();
        } catch (IllegalArgumentException unknown) {
            if (unknown.getMessage().contains("ambiguous")) throw unknown;
            parent = parentRef;
            store.put(new Artifact(parent, kind, parentRef, "", "declared, not registered"));
        }
        store.link(new Edge(child, parent, relation));
    }
}
