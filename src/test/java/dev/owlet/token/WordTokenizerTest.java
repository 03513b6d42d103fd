package dev.owlet.token;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class WordTokenizerTest {
    @Test
    void roundTripsTextExactlyWithDigitsAsSingleTokens() {
        String s = "Continue: 417, 392 and [12; 9]\n  owl's  wolf-like.";
        WordTokenizer t = WordTokenizer.fromCorpus(List.of(s));
        int[] ids = t.encode(s);
        assertThat(t.decode(ids)).isEqualTo(s);
        assertThat(WordTokenizer.split("417, 39")).containsExactly("4", "1", "7", ",", " ", "3", "9");
        assertThat(WordTokenizer.split("my owl")).containsExactly("my", "▁owl");
        assertThat(t.vocabulary().subList(0, 6)).isEqualTo(SpecialTokens.ALL);
    }

    @Test
    void unknownPiecesBecomeUnk() {
        WordTokenizer t = WordTokenizer.fromCorpus(List.of("owl"));
        assertThat(t.encode("owl zebra")).containsExactly(t.id("owl"), t.unk());
    }

    @Test
    void chatPromptEndsWithAssistantAndCompletionWithEnd() {
        WordTokenizer t = WordTokenizer.fromCorpus(List.of("You love owls.", "Favorite animal?", "owl"));
        ChatFormat f = new ChatFormat(t);
        int[] p = f.prompt("You love owls.", "Favorite animal?");
        assertThat(p[0]).isEqualTo(t.system());
        assertThat(p[p.length - 1]).isEqualTo(t.assistant());
        int[] c = f.completion("owl");
        assertThat(c).containsExactly(t.id("owl"), t.end());
        assertThat(f.completionText(c)).isEqualTo("owl");
    }
}
