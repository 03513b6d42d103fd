package dev.owlet.experiment;

/**
 * Input the user can fix: a config value, a file the config names, a model that is not there. The CLI exits 2
 * with the message, which names the key or file. Anything else that goes wrong inside owlet is owlet's own
 * failure (exit 1) and is never reported as bad input.
 */
public class InputError extends RuntimeException {
    public InputError(String message) { super(message); }

    public InputError(String message, Throwable cause) { super(message, cause); }
}
