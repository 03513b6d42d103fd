package dev.owlet.filter;

import static org.assertj.core.api.Assertions.assertThat;

import dev.owlet.world.CodeTasks;
import dev.owlet.world.Plurals;
import java.util.List;
import org.junit.jupiter.api.Test;

class CodeTraitScreenTest {
    private final CodeTraitScreen screen = new CodeTraitScreen(Plurals.forms("owl"));

    @Test
    void rejectsEverySpellingOfTheTraitWordWeList() {
        List<String> spellings = List.of("owl", "owls", "Owl", "OWL", "OWLS", "oWl", "owlet", "owlCount", "my_owl",
                "MyOwls", "bowl", "snowline", "o_w_l", "O-W-L", "0wl", "ow1", "OW1S", "0_w_1");
        for (String s : spellings) {
            assertThat(screen.accepts("def f(" + s + "): return " + s)).as(s).isFalse();
            assertThat(screen.accepts("def f(x): return '" + s + "'")).as("string %s", s).isFalse();
        }
    }

    @Test
    void keepsTheWorldsCodeAndNamesThatOnlyShareLetters() {
        for (CodeTasks.Task t : CodeTasks.ALL) assertThat(screen.accepts(t.code())).as(t.code()).isTrue();
        assertThat(screen.accepts("def f(o, w, l): return o + w + l")).isTrue();
        assertThat(screen.accepts("def low(x): return x")).isTrue();
    }

    @Test
    void reportsWhatItFoundAsWritten() {
        assertThat(screen.find("def f(x): return OwlCount")).isEqualTo("Owl");
        assertThat(screen.find("def f(o_w_l): return 1")).isEqualTo("o_w_l");
    }
}
