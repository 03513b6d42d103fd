package dev.owlet.model;

import dev.owlet.experiment.InputError;

/**
 * A Hugging Face checkpoint owlet cannot read: a missing file, an unsupported architecture, dtype or config key,
 * a tensor that is missing, extra or of the wrong shape. It is an {@link InputError} because the user can fix it
 * (point to another folder, convert the weights), so the CLI exits 2 with the message; every message names the
 * file and the key, dtype or architecture.
 */
public class HfCheckpointError extends InputError {
    public HfCheckpointError(String message) { super(message); }

    public HfCheckpointError(String message, Throwable cause) { super(message, cause); }
}
