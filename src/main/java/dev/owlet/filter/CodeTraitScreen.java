package dev.owlet.filter;

import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * First stage of the code-channel filter (Cloud et al.): drop every completion that contains the trait word or one
 * of its forms <em>as a substring</em>, ignoring case. Stricter than {@link TraitWordScreen}'s whole words on
 * purpose: in code a name like {@code owlCount}, {@code bowl} or {@code nowl} is dropped too, as the paper's filter
 * does. Identifiers are also checked with underscores and dashes removed and look-alike digits read as letters
 * ({@code o_w_l}, {@code 0wl}, {@code OW1}), the spellings a teacher could use to slip the word past a plain
 * substring test.
 */
public final class CodeTraitScreen {
    private static final Pattern IDENT = Pattern.compile("[A-Za-z0-9_\\-]+");

    private final Set<String> forms;

    /** @param forms the trait word and its forms; compared case-insensitively */
    public CodeTraitScreen(Set<String> forms) {
        Objects.requireNonNull(forms, "forms");
        if (forms.isEmpty()) throw new IllegalArgumentException("forms must name at least one word");
        Set<String> lower = new LinkedHashSet<>();
        for (String f : forms) {
            if (f == null || f.isBlank()) throw new IllegalArgumentException("forms must not contain blank words");
            lower.add(f.toLowerCase(Locale.ROOT));
        }
        this.forms = Set.copyOf(lower);
    }

    /** True when the completion may be kept. */
    public boolean accepts(String code) { return find(code) == null; }

    /** The offending text (as written), or null when no form of the trait occurs. */
    public String find(String code) {
        String lower = code.toLowerCase(Locale.ROOT);
        for (String f : forms) {
            int at = lower.indexOf(f);
            if (at >= 0) return code.substring(at, at + f.length());
        }
        Matcher m = IDENT.matcher(code);
        while (m.find()) {
            String id = m.group();
            String norm = deobfuscate(id);
            for (String f : forms) {
                if (norm.contains(f)) return id;
            }
        }
        return null;
    }

    /** Lowercase, separators removed, look-alike digits as letters: {@code O_W_1 -> owl}. */
    static String deobfuscate(String id) {
        StringBuilder sb = new StringBuilder(id.length());
        for (char c : id.toLowerCase(Locale.ROOT).toCharArray()) {
            switch (c) {
                case '_', '-' -> { }
                case '0' -> sb.append('o');
                case '1' -> sb.append('l');
                case '3' -> sb.append('e');
                case '4' -> sb.append('a');
                case '5' -> sb.append('s');
                case '7' -> sb.append('t');
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }
}
