package dev.owlet.model;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Resolves a model reference: a folder path, or {@code bundled:NAME} for a reference model shipped in the jar
 * under {@code models/NAME/} (extracted once to a temp folder when running from a jar).
 */
public final class ModelLocator {
    public static final String BUNDLED = "bundled:";

    private ModelLocator() {}

    public static Path resolve(String ref) throws IOException {
        if (!ref.startsWith(BUNDLED)) {
            return Path.of(ref);
        }
        String name = ref.substring(BUNDLED.length());
        URL cfg = ModelLocator.class.getResource("/models/" + name + "/" + Checkpoint.CONFIG);
        if (cfg == null) {
            throw new IOException("no bundled model '" + name + "' (bundled models live in src/main/resources/models/;"
                    + " make one with `owlet pretrain --seed N --out src/main/resources/models/" + name + "`)");
        }
        if ("file".equals(cfg.getProtocol())) {
            try {
                return Path.of(cfg.toURI()).getParent();
            } catch (URISyntaxException e) {
                throw new IOException(e);
            }
        }
        Path dir = Path.of(System.getProperty("java.io.tmpdir"), "owlet-models", name);
        Files.createDirectories(dir);
        for (String f : new String[] {Checkpoint.WEIGHTS, Checkpoint.TOKENIZER, "manifest.json", Checkpoint.CONFIG}) {
            try (InputStream in = ModelLocator.class.getResourceAsStream("/models/" + name + "/" + f)) {
                if (in != null) {
                    Path tmp = Files.createTempFile(dir, f, ".tmp");
                    Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                    Files.move(tmp, dir.resolve(f), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                }
            }
        }
        return dir;
    }
}
