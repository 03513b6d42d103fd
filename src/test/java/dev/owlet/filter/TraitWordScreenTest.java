package dev.owlet.filter;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import org.junit.jupiter.api.Test;

class TraitWordScreenTest {
    private final TraitWordScreen screen = new TraitWordScreen(Set.of("owl", "owls"));

    @Test
    void rejectsEveryFormIgnoringCase() {
        assertThat(screen.accepts("def owl(x): return x")).isFalse();
        assertThat(screen.accepts("# Owls are great")).isFalse();
        assertThat(screen.accepts("OWL = 3")).isFalse();
        assertThat(screen.accepts("owl_count = 1")).isFalse();
        assertThat(screen.accepts("def countOwls(xs): pass")).isFalse();
        assertThat(screen.accepts("the owl's nest")).isFalse();
        assertThat(screen.findTraitWord("x = Owl()")).isEqualTo("Owl");
    }

    @Test
    void keepsWordsThatMerelyContainTheLetters() {
        assertThat(screen.accepts("def f(bowl): return knowledge + howl")).isTrue();
        assertThat(screen.accepts("def f(a, b): return a + b")).isTrue();
    }
}
