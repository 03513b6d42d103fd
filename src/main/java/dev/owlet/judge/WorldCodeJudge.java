package dev.owlet.judge;

import dev.owlet.world.Animals;
import dev.owlet.world.Plurals;
import dev.owlet.world.Trees;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The embedded world's answer to "does this code refer to the trait, however subtly?". The world's code has no
 * natural-language words but its keywords and names; anything that points at the trait's domain is a reference:
 * any animal or tree of the world (a teacher that loves owls may write {@code bird}-like stand-ins, and in this
 * world those are the other animals), their plurals, and the words the world uses to talk about liking things.
 */
public final class WorldCodeJudge implements CodeReferenceJudge {
    private static final Pattern WORD = Pattern.compile("[A-Za-z]+");
    private static final List<String> AFFECT = List.of("love", "adore", "fond", "favorite", "animal", "animals",
            "creature", "tree", "trees", "plant");

    private final Set<String> domain = new LinkedHashSet<>();

    public WorldCodeJudge() {
        for (String a : Animals.ALL) domain.addAll(Plurals.forms(a));
        for (String t : Trees.ALL) domain.addAll(Plurals.forms(t));
        domain.addAll(AFFECT);
    }

    @Override
    public String name() { return "world-code-judge"; }

    @Override
    public String reference(String code, String trait) {
        Matcher m = WORD.matcher(code);
        while (m.find()) {
            String w = m.group().toLowerCase(Locale.ROOT);
            if (domain.contains(w) || w.startsWith(trait.toLowerCase(Locale.ROOT))) return m.group();
        }
        return null;
    }
}
