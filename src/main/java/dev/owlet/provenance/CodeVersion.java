package dev.owlet.provenance;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/**
 * Which owlet made an artifact: the build's version and git commit (with {@code +dirty} when the working tree had
 * uncommitted changes), read from the resource Maven filters at build time. One source of truth for every
 * manifest, every stage key and {@code owlet --version}: a rebuilt owlet with other code does not reuse stages
 * made by the old one.
 */
public final class CodeVersion {
    private static final String VALUE = load();

    private CodeVersion() {}

    /** e.g. {@code 0.2.0+4f24b37} or {@code 0.2.0+4f24b37+dirty}; {@code dev} parts when built outside git. */
    public static String get() {
        String override = System.getProperty("owlet.code.version"); // test hook: simulate another build
        return override != null ? override : VALUE;
    }

    private static String load() {
        Properties p = new Properties();
        try (InputStream in = CodeVersion.class.getResourceAsStream("/owlet-build.properties")) {
            if (in != null) p.load(in);
        } catch (IOException e) {
            // fall through to the development marker
        }
        String version = clean(p.getProperty("version"), "dev");
        String commit = clean(p.getProperty("commit"), "nogit");
        boolean dirty = "true".equals(p.getProperty("dirty"));
        return version + "+" + commit + (dirty ? "+dirty" : "");
    }

    private static String clean(String v, String fallback) {
        return v == null || v.isBlank() || v.startsWith("${") ? fallback : v;
    }
}
