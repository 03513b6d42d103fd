package dev.owlet.lineage;

import java.util.Locale;

/** What an artifact is; decides how the rules read its edges (only models have a base, only datasets a writer). */
public enum Kind {
    REFERENCE, TEACHER, MODEL, STUDENT, DATASET, EVALUATION, UNKNOWN;

    public boolean isModel() { return this == REFERENCE || this == TEACHER || this == MODEL || this == STUDENT; }

    public String label() { return name().toLowerCase(Locale.ROOT); }

    /** Parses a kind as the CLI spells it, naming the allowed values when it does not match. */
    public static Kind parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown kind '" + s + "' (one of reference, teacher, model, student, dataset, evaluation)");
        }
    }
}
