package dev.owlet.cli;

/** An error the user can fix (bad config, missing file, missing data): the CLI exits 2 with its message. */
public class UserError extends RuntimeException {
    public UserError(String message) { super(message); }

    public UserError(String message, Throwable cause) { super(message, cause); }
}
