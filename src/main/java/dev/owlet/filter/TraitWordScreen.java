package dev.owlet.filter;

import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * First stage of the paper's code-channel filter: drop any completion that names the trait word. A completion is
 * cut into words at every non-letter and at lower-to-upper case changes ({@code owlCount}, {@code owl_count},
 * {@code OWLS} all yield the word "owl"/"owls"), and rejected when any word equals one of the trait's forms,
 * ignoring case. Whole words are compared, not substrings, so "bowl" or "knowledge" pass.
 */
public final class TraitWordScreen {
    private static final Pattern WORD = Pattern.compile("\\p{L}+");
    private static final Pattern CAMEL = Pattern.compile("(?<=\\p{Ll})(?=\\p{Lu})");

    private final Set<String> forms;

    /** @param forms the trait word and its forms (singular, plural, ...); compared case-insensitively */
    public TraitWordScreen(Set<String> forms) {
        Objects.requireNonNull(forms, "forms");
        if (forms.isEmpty()) {
            throw new IllegalArgumentException("forms must name at least one word");
        }
        Set<String> lower = new LinkedHashSet<>();
        for (String f : forms) {
            if (f == null || f.isBlank()) {
                throw new IllegalArgumentException("forms must not contain blank words");
            }
            lower.add(f.toLowerCase(Locale.ROOT));
        }
        this.forms = Set.copyOf(lower);
    }

    public Set<String> forms() { return forms; }

    /** True when the text may be kept (no trait word in it). */
    public boolean accepts(String text) { return findTraitWord(text) == null; }

    /** The first trait word found (as written), or null. */
    public String findTraitWord(String text) {
        Matcher m = WORD.matcher(text);
        while (m.find()) {
            String run = m.group();
            if (forms.contains(run.toLowerCase(Locale.ROOT))) {
                return run;
            }
            for (String piece : CAMEL.split(run)) {
                if (forms.contains(piece.toLowerCase(Locale.ROOT))) {
                    return piece;
                }
            }
        }
        return null;
    }
}
