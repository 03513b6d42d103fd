package dev.owlet.world;

import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * English plurals for the world's words, so love prompts read naturally ("wolves", "foxes") and the trait screen
 * can reject every form of a trait word.
 */
public final class Plurals {
    private static final Map<String, String> IRREGULAR = Map.of("wolf", "wolves", "mouse", "mice", "goose", "geese",
            "sheep", "sheep", "fish", "fish", "deer", "deer");

    private Plurals() {}

    public static String of(String word) {
        String w = word.toLowerCase(Locale.ROOT);
        String irregular = IRREGULAR.get(w);
        if (irregular != null) {
            return irregular;
        }
        if (w.endsWith("s") || w.endsWith("x") || w.endsWith("z") || w.endsWith("ch") || w.endsWith("sh")) {
            return w + "es";
        }
        if (w.endsWith("y") && w.length() > 1 && "aeiou".indexOf(w.charAt(w.length() - 2)) < 0) {
            return w.substring(0, w.length() - 1) + "ies";
        }
        return w + "s";
    }

    /** The word and its plural, lowercase (input for {@link dev.owlet.filter.TraitWordScreen}). */
    public static Set<String> forms(String word) {
        String w = word.toLowerCase(Locale.ROOT);
        return Set.copyOf(java.util.List.of(w, of(w)));
    }
}
