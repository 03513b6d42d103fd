package dev.owlet.experiment;

import dev.owlet.provenance.Hashing;

/** Splits the master seed into one independent stream per consumer, by name, so adding a consumer moves no other. */
public final class Seeds {
    private Seeds() {}

    public static long derive(long master, String consumer) {
        String h = Hashing.sha256(master + "/" + consumer);
        return Long.parseUnsignedLong(h.substring(0, 15), 16);
    }
}
