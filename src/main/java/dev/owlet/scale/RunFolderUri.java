package dev.owlet.scale;

import dev.owlet.experiment.InputError;
import java.io.Serializable;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.regex.Pattern;

/**
 * A run folder named by a Hadoop filesystem URI ({@code hdfs://namenode:8020/runs/animals}, {@code file:///shared/runs/a},
 * {@code s3a://bucket/runs/a}) instead of a local path: what {@code owlet run --engine spark --out URI} writes to.
 *
 * <p>Why a type of its own, free of Hadoop's classes: the CLI must tell a URI from a path before it knows whether
 * Hadoop is on the classpath at all (it is only with Spark), and a URI run folder is then read and written only
 * through {@link HadoopStages}, never through {@code java.nio}.
 *
 * @param uri absolute, with a scheme and a folder path, no trailing slash
 */
public record RunFolderUri(URI uri) implements Serializable {
    private static final long serialVersionUID = 1L;
    /** A scheme of two characters or more, then {@code :/}: so {@code C:/runs} and {@code runs/a:b} stay paths. */
    private static final Pattern LOOKS_LIKE_URI = Pattern.compile("[A-Za-z][A-Za-z0-9+.-]+:/.*");

    public RunFolderUri {
        if (uri == null || uri.getScheme() == null || uri.isOpaque()) {
            throw new IllegalArgumentException("not an absolute hierarchical URI: " + uri);
        }
        String path = uri.getPath();
        if (path == null || path.isEmpty() || path.equals("/")) {
            throw new IllegalArgumentException("a run folder URI needs a folder path: " + uri);
        }
        if (path.endsWith("/") || !uri.equals(uri.normalize())) {
            throw new IllegalArgumentException("not a normalized folder URI (no trailing /, no . or ..): " + uri);
        }
    }

    /** Whether {@code out} (a {@code --out} value) names a filesystem URI rather than a local path. */
    public static boolean looksLikeUri(String out) {
        return out != null && LOOKS_LIKE_URI.matcher(out.trim()).matches();
    }

    /** {@code out} as a run folder URI (trailing slashes dropped, {@code .} and {@code ..} resolved), or bad input naming it. */
    public static RunFolderUri parse(String out) {
        String s = out == null ? "" : out.trim();
        try {
            URI u = new URI(s).normalize();
            String path = u.getPath();
            if (path != null && path.length() > 1 && path.endsWith("/")) {
                u = new URI(u.getScheme(), u.getAuthority(), path.replaceAll("/+$", ""), u.getQuery(), u.getFragment());
            }
            return new RunFolderUri(u);
        } catch (URISyntaxException | IllegalArgumentException e) {
            throw new InputError("--out " + out + ": not a filesystem URI owlet can use as a run folder ("
                    + e.getMessage() + "); expected SCHEME://AUTHORITY/FOLDER, e.g. hdfs://namenode:8020/runs/animals"
                    + " or file:///shared/runs/animals", e);
        }
    }

    /** The URI of a file or folder inside the run folder, e.g. {@code child("report.md")}. */
    public String child(String relative) {
        return uri + "/" + relative;
    }

    @Override
    public String toString() {
        return uri.toString();
    }
}
