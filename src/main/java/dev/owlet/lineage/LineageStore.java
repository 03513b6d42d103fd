package dev.owlet.lineage;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The lineage graph in an embedded SQLite file ({@code runs/lineage.db} by default): one table of artifacts, one of
 * edges, one of aliases (stage cache keys that stand for an artifact). Ingesting is idempotent: the same artifact
 * met twice is one row, and a placeholder made for a parent not yet seen is filled in when the parent arrives.
 */
public final class LineageStore implements AutoCloseable {
    private final Connection db;
    private final Path file;

    private LineageStore(Path file, Connection db) {
        this.file = file;
        this.db = db;
    }

    /** Opens (creating if needed) a store for writing. */
    public static LineageStore create(Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        return open(file);
    }

    /** Opens an existing store; a missing file is the user's error (nothing scanned yet), named with its path. */
    public static LineageStore openExisting(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("no lineage database at " + file
                    + " (run `owlet lineage scan RUN_DIR` first, or pass --db)");
        }
        return open(file);
    }

    private static LineageStore open(Path file) throws IOException {
        try {
            Connection c = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath());
            try (Statement s = c.createStatement()) {
                s.executeUpdate("CREATE TABLE IF NOT EXISTS artifacts (id TEXT PRIMARY KEY, kind TEXT NOT NULL,"
                        + " label TEXT NOT NULL, path TEXT NOT NULL, note TEXT NOT NULL)");
                s.executeUpdate("CREATE TABLE IF NOT EXISTS edges (child TEXT NOT NULL, parent TEXT NOT NULL,"
                        + " relation TEXT NOT NULL, PRIMARY KEY (child, parent, relation))");
                s.executeUpdate("CREATE TABLE IF NOT EXISTS aliases (alias TEXT PRIMARY KEY, id TEXT NOT NULL)");
                s.executeUpdate("CREATE INDEX IF NOT EXISTS edges_parent ON edges(parent)");
            }
            return new LineageStore(file, c);
        } catch (SQLException e) {
            throw new IOException(file + ": not a usable lineage database: " + e.getMessage(), e);
        }
    }

    public Path file() { return file; }

    /** Inserts or improves an artifact: a known artifact keeps its label unless the stored one is a placeholder. */
    public void put(Artifact a) throws IOException {
        sql("INSERT INTO artifacts(id, kind, label, path, note) VALUES (?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET"
                + " kind = CASE WHEN artifacts.kind IN ('unknown','model') AND excluded.kind <> 'unknown' THEN excluded.kind ELSE artifacts.kind END,"
                + " label = CASE WHEN artifacts.kind = 'unknown' OR artifacts.path = '' THEN excluded.label ELSE artifacts.label END,"
                + " path = CASE WHEN artifacts.path = '' THEN excluded.path ELSE artifacts.path END,"
                + " note = CASE WHEN artifacts.note = '' THEN excluded.note ELSE artifacts.note END",
                a.id(), a.kind().label(), a.label(), a.path(), a.note());
    }

    /** A node for an id some artifact names as a parent but that has not been ingested (yet). */
    public void placeholder(String id, Kind kind) throws IOException {
        sql("INSERT OR IGNORE INTO artifacts(id, kind, label, path, note) VALUES (?,?,?,?,?)",
                id, kind.label(), Artifact.shortId(id), "", "");
    }

    public void link(Edge e) throws IOException {
        sql("INSERT OR IGNORE INTO edges(child, parent, relation) VALUES (?,?,?)", e.child(), e.parent(), e.relation());
    }

    public void alias(String alias, String id) throws IOException {
        sql("INSERT OR REPLACE INTO aliases(alias, id) VALUES (?,?)", alias, id);
    }

    public Optional<String> aliasOf(String alias) throws IOException {
        List<String> r = strings("SELECT id FROM aliases WHERE alias = ?", alias);
        return r.isEmpty() ? Optional.empty() : Optional.of(r.get(0));
    }

    public Optional<Artifact> get(String id) throws IOException {
        List<Artifact> r = artifacts("SELECT id, kind, label, path, note FROM artifacts WHERE id = ?", id);
        return r.isEmpty() ? Optional.empty() : Optional.of(r.get(0));
    }

    /**
     * The artifact an id, unique id prefix or exact label names; fails naming the id when it matches none or
     * several.
     */
    public Artifact resolve(String idOrPrefix) throws IOException {
        String q = idOrPrefix.trim();
        if (q.isEmpty()) throw new IllegalArgumentException("empty artifact id");
        Optional<Artifact> exact = get(q);
        if (exact.isPresent()) return exact.get();
        List<Artifact> hits = artifacts("SELECT id, kind, label, path, note FROM artifacts WHERE substr(id, 1, ?) = ?"
                + " OR label = ? ORDER BY id", q.length(), q, q);
        if (hits.isEmpty()) throw new IllegalArgumentException("no artifact '" + q + "' in " + file
                + " (ids are SHA-256 prefixes or labels; `owlet lineage export` lists them)");
        if (hits.size() > 1) {
            List<String> names = hits.stream().limit(5).map(a -> a.shortId() + " " + a.label()).toList();
            throw new IllegalArgumentException("'" + q + "' is ambiguous in " + file + ": " + hits.size()
                    + " artifacts match, e.g. " + names + "; give more of the id");
        }
        return hits.get(0);
    }

    public List<Edge> parents(String id) throws IOException {
        return edges("SELECT child, parent, relation FROM edges WHERE child = ? ORDER BY relation, parent", id);
    }

    public List<Edge> children(String id) throws IOException {
        return edges("SELECT child, parent, relation FROM edges WHERE parent = ? ORDER BY relation, child", id);
    }

    public List<Artifact> artifacts() throws IOException {
        return artifacts("SELECT id, kind, label, path, note FROM artifacts ORDER BY kind, label");
    }

    public List<Edge> edges() throws IOException {
        return edges("SELECT child, parent, relation FROM edges ORDER BY child, relation, parent");
    }

    @Override
    public void close() throws IOException {
        try {
            db.close();
        } catch (SQLException e) {
            throw new IOException(e);
        }
    }

    // ---- JDBC plumbing ----

    private void sql(String statement, Object... args) throws IOException {
        try (PreparedStatement p = prepare(statement, args)) {
            p.executeUpdate();
        } catch (SQLException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    private List<String> strings(String query, Object... args) throws IOException {
        try (PreparedStatement p = prepare(query, args); ResultSet r = p.executeQuery()) {
            List<String> out = new ArrayList<>();
            while (r.next()) out.add(r.getString(1));
            return out;
        } catch (SQLException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    private List<Artifact> artifacts(String query, Object... args) throws IOException {
        try (PreparedStatement p = prepare(query, args); ResultSet r = p.executeQuery()) {
            List<Artifact> out = new ArrayList<>();
            while (r.next()) {
                out.add(new Artifact(r.getString(1), Kind.parse(r.getString(2)), r.getString(3), r.getString(4), r.getString(5)));
            }
            return out;
        } catch (SQLException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    private List<Edge> edges(String query, Object... args) throws IOException {
        try (PreparedStatement p = prepare(query, args); ResultSet r = p.executeQuery()) {
            List<Edge> out = new ArrayList<>();
            while (r.next()) out.add(new Edge(r.getString(1), r.getString(2), r.getString(3)));
            return out;
        } catch (SQLException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    private PreparedStatement prepare(String statement, Object... args) throws SQLException {
        PreparedStatement p = db.prepareStatement(statement);
        for (int i = 0; i < args.length; i++) p.setObject(i + 1, args[i]);
        return p;
    }
}
