package dev.owlet.scale;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.owlet.experiment.InputError;
import dev.owlet.provenance.Manifest;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * A run folder's stages on a Hadoop filesystem ({@link RunFolderUri}), moved whole between it and a local folder
 * through Hadoop's own {@link FileSystem} API: the only class of owlet that uses Hadoop's (see the package's note).
 *
 * <p>The pipeline itself reads and writes local folders only; this class carries finished stages across. The rule
 * that makes it safe for several machines and for kills: <b>a stage folder on the URI counts as finished only when
 * its {@code manifest.json} is there</b>, and publishing writes the manifest last. A stage is published by uploading
 * its files to a temporary folder whose name starts with a dot ({@code stages/.NAME.upload-HOST-N}; listings skip
 * dot names), renaming that folder into place in one step (replacing any unfinished or outdated folder of that
 * name), and only then uploading the manifest under a temporary name and renaming it into place. On HDFS and local
 * filesystems each rename is atomic; on an object store (s3a) a folder rename is a copy, but the manifest, one
 * object written last, still appears only after every other file. A half-upload is therefore either a dot folder
 * or a folder without a manifest, and both are ignored by readers and replaced by the next publisher.
 */
public final class HadoopStages {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Disambiguates temporary names made by several tasks of one process at once. */
    private static final java.util.concurrent.atomic.AtomicLong SERIAL = new java.util.concurrent.atomic.AtomicLong();

    private final RunFolderUri folder;
    private final FileSystem fs;
    private final Path root;
    private final Path stages;

    private HadoopStages(RunFolderUri folder, FileSystem fs) {
        this.folder = folder;
        this.fs = fs;
        this.root = new Path(folder.uri());
        this.stages = new Path(root, "stages");
    }

    /**
     * The run folder through the filesystem Hadoop resolves for its URI, with {@code conf} on top of Hadoop's
     * defaults (the run's {@code spark.hadoop.*} settings, prefix removed). Bad input naming the URI when Hadoop
     * cannot resolve it: an unknown scheme (or one whose connector is not on the classpath), a malformed authority.
     */
    public static HadoopStages open(RunFolderUri folder, Map<String, String> conf) {
        Configuration c = new Configuration();
        conf.forEach(c::set);
        try {
            return new HadoopStages(folder, FileSystem.get(folder.uri(), c));
        } catch (IOException | RuntimeException e) {
            String why = String.valueOf(e.getMessage());
            if (why.contains("No FileSystem for scheme") || why.contains("ClassNotFoundException")) {
                why += "; Spark brings Hadoop's file:// and hdfs:// clients, and other schemes need their Hadoop"
                        + " connector on the classpath of the driver and every executor (s3a://: hadoop-aws "
                        + org.apache.hadoop.util.VersionInfo.getVersion() + " and its AWS SDK bundle)";
            }
            throw new InputError("--out " + folder + ": Hadoop cannot open that filesystem (" + why + ")", e);
        }
    }

    /**
     * Null when this machine can create the run folder's {@code stages/} there and write and delete a file in it;
     * otherwise what is wrong, naming the URI and this host. What the driver and every executor check first.
     */
    public String problem() {
        String host = StudentTask.host();
        try {
            if (fs.exists(root) && !fs.getFileStatus(root).isDirectory()) return folder + " is a file, not a folder, on " + host;
            if (!fs.mkdirs(stages)) return folder + ": cannot create " + stages + " from " + host;
            Path probe = new Path(stages, ".owlet-write-check-" + host + "-" + System.nanoTime() + "-" + SERIAL.incrementAndGet());
            fs.create(probe, false).close();
            fs.delete(probe, false);
            return null;
        } catch (IOException | RuntimeException e) {
            return folder + ": cannot write there from " + host + " (" + e + ")";
        }
    }

    /** The run folder's URI. */
    public RunFolderUri folder() { return folder; }

    /** The stages finished there (a folder with its manifest), by name; temporary (dot) folders are never listed. */
    public List<String> finished() throws IOException {
        List<String> names = new ArrayList<>();
        if (!fs.exists(stages)) return names;
        for (FileStatus st : fs.listStatus(stages)) {
            String name = st.getPath().getName();
            if (st.isDirectory() && !name.startsWith(".") && fs.exists(new Path(st.getPath(), Manifest.FILE))) names.add(name);
        }
        names.sort(Comparator.naturalOrder());
        return names;
    }

    /** The key in a finished stage's manifest there, or null when that stage is not finished there. */
    public String key(String stage) throws IOException {
        Path man = new Path(new Path(stages, stage), Manifest.FILE);
        if (!fs.exists(man)) return null;
        try (InputStream in = fs.open(man)) {
            return JSON.readTree(in).path("key").asText(null);
        }
    }

    /**
     * Copies every stage finished there that {@code which} accepts into {@code localStages} (see {@link #pull});
     * returns how many it copied.
     */
    public int pullAll(java.nio.file.Path localStages, Predicate<String> which) throws IOException {
        int n = 0;
        for (String s : finished()) if (which.test(s) && pull(s, localStages)) n++;
        return n;
    }

    /**
     * Copies stage {@code stage}, finished there, into {@code localStages/stage}: to a temporary local name first,
     * then moved into place in one step, so a local reader (another task of this process) never sees half of it.
     * Returns false, copying nothing, when it is not finished there, when the local folder already carries the same
     * key, or when a local folder without a manifest is there (a task of this process is making that stage now).
     */
    public boolean pull(String stage, java.nio.file.Path localStages) throws IOException {
        String key = key(stage);
        if (key == null) return false;
        java.nio.file.Path dst = localStages.resolve(stage);
        if (Files.isDirectory(dst)) {
            Map<String, Object> have = Manifest.read(dst);
            if (have == null || key.equals(have.get("key"))) return false;
        }
        Files.createDirectories(localStages);
        String tag = System.nanoTime() + "-" + SERIAL.incrementAndGet();
        java.nio.file.Path tmp = localStages.resolve("." + stage + ".pull-" + tag);
        java.nio.file.Path aside = localStages.resolve("." + stage + ".old-" + tag);
        try {
            fs.copyToLocalFile(false, new Path(stages, stage), new Path(tmp.toUri()), true);
            if (Manifest.read(tmp) == null) throw new IOException(folder.child("stages/" + stage) + " changed while it was copied");
            if (Files.exists(dst)) Files.move(dst, aside, StandardCopyOption.ATOMIC_MOVE); // another key: replaced whole
            try {
                Files.move(tmp, dst, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                // another task of this process moved the same stage in first
                Map<String, Object> now = Manifest.read(dst);
                if (now == null || !key.equals(now.get("key"))) throw e;
                return false;
            }
            return true;
        } finally {
            deleteLocal(tmp);
            deleteLocal(aside);
        }
    }

    /**
     * Publishes the finished local stage folder {@code local} (its manifest written) as {@code stages/NAME} there,
     * by the rule in the class comment. Returns false, writing nothing, when that stage is there already with the
     * same key (another task made it too, or it was pulled from there).
     */
    public boolean publish(java.nio.file.Path local) throws IOException {
        String name = local.getFileName().toString();
        java.nio.file.Path manifest = local.resolve(Manifest.FILE);
        Map<String, Object> mine = Manifest.read(local);
        if (mine == null) throw new IOException("stage " + local + " has no manifest: it is not finished");
        if (String.valueOf(mine.get("key")).equals(key(name))) return false;
        Path dst = new Path(stages, name);
        Path tmp = new Path(stages, "." + name + ".upload-" + StudentTask.host() + "-" + System.nanoTime() + "-"
                + SERIAL.incrementAndGet());
        try {
            if (!fs.mkdirs(tmp)) throw new IOException("cannot create " + tmp);
            try (var files = Files.list(local)) {
                for (java.nio.file.Path f : files.sorted().toList()) {
                    String n = f.getFileName().toString();
                    if (n.equals(Manifest.FILE) || n.startsWith(".")) continue; // the manifest last; no temporary files
                    fs.copyFromLocalFile(false, true, new Path(f.toUri()), new Path(tmp, n));
                }
            }
            // an unfinished folder of this name (a killed publisher) or one with another key: replaced whole
            if (fs.exists(dst)) fs.delete(dst, true);
            if (!fs.rename(tmp, dst)) throw new IOException("cannot rename " + tmp + " to " + dst);
            Path nested = new Path(dst, tmp.getName());
            if (fs.exists(nested)) {
                // Another publisher of the same stage renamed its folder in first, and Hadoop's rename then moved
                // ours inside it: theirs stands, and theirs writes the manifest.
                fs.delete(nested, true);
                return false;
            }
            put(manifest, new Path(dst, Manifest.FILE));
            return true;
        } finally {
            if (fs.exists(tmp)) fs.delete(tmp, true);
        }
    }

    /** Copies the local file {@code local} to {@code relative} in the run folder, replacing it (temporary name, rename). */
    public void putFile(java.nio.file.Path local, String relative) throws IOException {
        put(local, new Path(root, relative));
    }

    /** Whether {@code relative} (e.g. {@code results.json}) is a file in the run folder there. */
    public boolean isFile(String relative) throws IOException {
        Path p = new Path(root, relative);
        return fs.exists(p) && fs.getFileStatus(p).isFile();
    }

    private void put(java.nio.file.Path local, Path dst) throws IOException {
        Path tmp = new Path(dst.getParent(), "." + dst.getName() + ".upload-" + System.nanoTime() + "-" + SERIAL.incrementAndGet());
        try {
            fs.copyFromLocalFile(false, true, new Path(local.toUri()), tmp);
            if (fs.exists(dst)) fs.delete(dst, false);
            if (!fs.rename(tmp, dst)) throw new IOException("cannot rename " + tmp + " to " + dst);
        } finally {
            if (fs.exists(tmp)) fs.delete(tmp, false);
        }
    }

    /** Deletes a local file or folder tree, if there. */
    static void deleteLocal(java.nio.file.Path p) throws IOException {
        if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return;
        try (var all = Files.walk(p)) {
            for (java.nio.file.Path f : all.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(f);
        }
    }
}
