package dev.owlet.backend;

/**
 * A backend call failed. {@link #userFixable()} marks failures the user can fix (bad key, unknown model, missing
 * environment variable); the CLI exits 2 for those. Messages never contain an API key.
 */
public class BackendException extends RuntimeException {
    private final int status;
    private final boolean userFixable;

    public BackendException(String message, int status, boolean userFixable, Throwable cause) {
        super(message, cause);
        this.status = status;
        this.userFixable = userFixable;
    }

    public BackendException(String message, int status, boolean userFixable) { this(message, status, userFixable, null); }

    /** HTTP status, or 0 when there was no response. */
    public int status() { return status; }

    public boolean userFixable() { return userFixable; }
}
