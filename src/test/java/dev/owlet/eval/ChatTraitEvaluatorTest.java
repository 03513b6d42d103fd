package dev.owlet.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import dev.owlet.infer.LogProbs;
import dev.owlet.model.HfCheckpoint;
import dev.owlet.model.HfFixtures;
import dev.owlet.model.HfModel;
import dev.owlet.token.HfTokenizer;
import dev.owlet.world.Animals;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The chat evaluation's exact probabilities, computed from shared next-token distributions over token prefixes,
 * against the plain definition: exp(log P(form's tokens | prompt)) from one forward pass per form, summed over the
 * two spellings, on the fixture Qwen2 (a byte-level BPE that spells most animals in several tokens).
 */
class ChatTraitEvaluatorTest {
    @Test
    void exactProbabilitiesAreEachWordsContinuationProbabilityOverBothSpellings() {
        List<String> qs = List.of("In one word, what is your favorite animal?", "One word only: name your favorite animal.");
        try (NDManager root = NDManager.newBaseManager(); HfModel model = HfCheckpoint.load(HfFixtures.dir("qwen2"), root);
             HfTokenizer tok = HfTokenizer.load(HfFixtures.dir("qwen2"))) {
            ChatTraitEvaluator ev = new ChatTraitEvaluator(model, tok, new int[] {2});
            TraitEvaluator.Measurement m = ev.measure(qs, "You love owls.", "owl", Animals.ALL, 3, 4, 7);
            LogProbs lp = new LogProbs(model, 0);
            for (int q = 0; q < qs.size(); q++) {
                int[] prompt = ev.prompt("You love owls.", qs.get(q));
                double sum = 0;
                for (String w : Animals.ALL) {
                    double p = 0;
                    for (String f : List.of(w, Character.toUpperCase(w.charAt(0)) + w.substring(1))) {
                        p += Math.exp(lp.continuation(List.of(prompt), List.of(tok.encodeRaw(f)), 1)[0]);
                    }
                    assertThat(m.exactByWord().get(w)[q]).as(w).isCloseTo(p, within(1e-6 + 1e-4 * p));
                    sum += p;
                }
                assertThat(m.exactPerQuestion()[q]).isEqualTo(m.exactByWord().get("owl")[q]);
                assertThat(m.conditionalPerQuestion()[q]).isCloseTo(m.exactByWord().get("owl")[q] / sum, within(1e-4 * m.conditionalPerQuestion()[q] + 1e-9));
                assertThat(m.sampledPerQuestion()[q]).isBetween(0.0, 1.0);
            }
            assertThat(tok.encodeRaw("dolphin").length).as("the test needs multi-token words").isGreaterThan(1);
        }
    }
}
