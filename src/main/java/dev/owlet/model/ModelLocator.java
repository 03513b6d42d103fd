package dev.owlet.model;

import ai.djl.ndarray.NDManager;
import dev.owlet.experiment.InputError;
import dev.owlet.token.HfTokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Resolves a model name, the one place every command and the experiment pipeline go through: a folder of owlet's
 * own checkpoint, {@code bundled:NAME} for a reference model shipped in the jar under {@code models/NAME/}
 * (extracted once to a temp folder when running from a jar), or {@code hf:DIR} for a local Hugging Face checkpoint
 * folder. owlet downloads nothing, so an {@code hf:} name that is not a local folder (a hub id) is bad input whose
 * message says how to get the files.
 */
public final class ModelLocator {
    public static final String BUNDLED = "bundled:";
    public static final String HF = "hf:";
    /** Where a Hugging Face checkpoint may be named: said by every refusal of one. */
    public static final String HF_COMMANDS = "hf:DIR works with owlet run (reference, different_init), probe, serve --model,"
            + " audit weights, audit transfer, lineage register and owlet hf";

    private ModelLocator() {}

    /** True for {@code hf:DIR}. */
    public static boolean isHf(String ref) { return ref.startsWith(HF); }

    /**
     * The folder an {@code hf:} name points to, relative names against {@code baseDir}.
     *
     * @throws HfCheckpointError (exit 2) when it is not a local folder, saying owlet works offline and how to get the files
     */
    public static Path hfDir(String ref, Path baseDir) {
        if (!isHf(ref)) throw new IllegalArgumentException("not an hf: name: " + ref);
        Path dir = baseDir.resolve(ref.substring(HF.length()));
        if (!Files.isDirectory(dir)) {
            throw new HfCheckpointError(ref + " is not a local folder (" + dir.toAbsolutePath() + "). owlet works"
                    + " offline and downloads nothing: get the checkpoint first, e.g. `huggingface-cli download"
                    + " Qwen/Qwen2.5-0.5B-Instruct --local-dir " + dir + "`, then name that folder as hf:DIR");
        }
        return dir;
    }

    /** Where a model name lives; {@code hf:} names must be local folders ({@link #hfDir}). */
    public static Path resolve(String ref, Path baseDir) throws IOException {
        if (isHf(ref)) return hfDir(ref, baseDir);
        if (ref.startsWith(BUNDLED)) return resolve(ref);
        return baseDir.resolve(ref);
    }

    /**
     * The content hash that identifies a model without loading it (what {@link LoadedModel#digest} would say): an
     * {@code hf:} folder's {@link HfCheckpoint#digest} (after checking config.json names an architecture owlet reads
     * and the weights are there), the weights' SHA-256 for one of owlet's checkpoints.
     */
    public static String digest(String ref, Path baseDir) throws IOException {
        if (isHf(ref)) {
            Path dir = hfDir(ref, baseDir);
            HfConfig.read(dir.resolve(HfCheckpoint.CONFIG));
            if (!HfCheckpoint.looksLike(dir)) {
                throw new HfCheckpointError(dir + ": no weights (" + HfWeights.SINGLE + " or " + HfWeights.INDEX
                        + "; owlet reads safetensors only)");
            }
            return HfCheckpoint.digest(dir);
        }
        Path dir = resolve(ref, baseDir);
        if (!Checkpoint.exists(dir)) {
            throw new InputError("no model at " + dir + " (expected " + Checkpoint.CONFIG + " and " + Checkpoint.WEIGHTS + ")");
        }
        return dev.owlet.provenance.Hashing.sha256(dir.resolve(Checkpoint.WEIGHTS));
    }

    /** Loads a model a command names, relative names against the working directory. */
    public static LoadedModel open(String ref, NDManager root) {
        return open(ref, Path.of(""), root);
    }

    /**
     * Loads the model {@code ref} names. Whatever the user can fix (no such folder, a checkpoint owlet cannot read,
     * a Hugging Face folder without an end-of-turn token) is an {@link InputError} naming the file (exit 2).
     */
    public static LoadedModel open(String ref, Path baseDir, NDManager root) {
        if (isHf(ref)) return openHf(ref, hfDir(ref, baseDir), root);
        try {
            return new LoadedModel.Owlet(ref, Checkpoint.load(resolve(ref, baseDir), root));
        } catch (IOException e) {
            Path p = ref.startsWith(BUNDLED) ? null : baseDir.resolve(ref);
            String hint = p != null && HfCheckpoint.looksLike(p)
                    ? " (" + p + " looks like a Hugging Face checkpoint: name it hf:" + ref + ")" : "";
            throw new InputError(e.getMessage() + hint, e);
        }
    }

    /** Loads a Hugging Face checkpoint folder with its tokenizer, end ids and digest (see {@link LoadedModel.Hf}). */
    public static LoadedModel.Hf openHf(String ref, Path dir, NDManager root) {
        HfModel m = HfCheckpoint.load(dir, root);
        HfTokenizer tok = null;
        try {
            tok = HfTokenizer.load(dir);
            int[] ends = HfCheckpoint.endIds(dir, m, tok.endIds()).stream().mapToInt(Integer::intValue).toArray();
            if (ends.length == 0) {
                throw new InputError(dir + ": no end-of-turn token (eos_token_id in config.json or generation_config.json,"
                        + " eos_token in tokenizer_config.json): generation would never stop");
            }
            int pad = tok.specialId("pad_token").orElse(ends[0]);
            String digest;
            try {
                digest = HfCheckpoint.digest(dir);
            } catch (IOException e) {
                throw new HfCheckpointError(dir + ": cannot read the checkpoint's files to hash them (" + e.getMessage() + ")", e);
            }
            return new LoadedModel.Hf(ref, dir, m, tok, ends, pad, digest);
        } catch (RuntimeException e) {
            if (tok != null) tok.close();
            m.close();
            throw e;
        }
    }

    /**
     * Where one of owlet's own checkpoints lives: a folder, or {@code bundled:NAME}. Commands that read only owlet's
     * checkpoints come here; an {@code hf:} name is bad input saying which commands take one.
     */
    public static Path resolve(String ref) throws IOException {
        if (isHf(ref)) throw new InputError(ref + ": this command reads owlet's own checkpoints only; " + HF_COMMANDS);
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
