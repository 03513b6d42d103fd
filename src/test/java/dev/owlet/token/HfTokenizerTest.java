package dev.owlet.token;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.owlet.backend.ChatMessage;
import dev.owlet.experiment.InputError;
import dev.owlet.model.HfFixtures;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The fixture's byte-level BPE and ChatML template (tools/hf-fixtures.py) against what transformers produced:
 * ids and decoded text of plain strings (unicode and newlines included), and chat renderings and their ids.
 * Runs with ai.djl.offline=true (surefire), so it also shows the tokenizers native library loads from its jar.
 */
class HfTokenizerTest {
    static final JsonNode EXPECTED = HfFixtures.json("qwen2", "tokenizer-expected.json");

    @Test
    void encodeAndDecodeMatchTransformers() {
        try (HfTokenizer tok = HfTokenizer.load(HfFixtures.dir("qwen2"))) {
            for (JsonNode e : EXPECTED.get("encode")) {
                String text = e.get("text").asText();
                int[] ids = tok.encode(text);
                assertThat(ids).as(text).containsExactly(HfFixtures.ints(e.get("ids")));
                assertThat(tok.decode(ids, false)).as(text).isEqualTo(e.get("decoded").asText());
            }
            assertThat(tok.specialId("eos_token")).contains(EXPECTED.get("eos").asInt());
            assertThat(tok.specialId("pad_token")).contains(EXPECTED.get("pad").asInt());
            assertThat(tok.tokenId("<|im_start|>")).contains(1);
        }
    }

    @Test
    void chatTemplateRendersAndEncodesAsTransformersDoes() {
        try (HfTokenizer tok = HfTokenizer.load(HfFixtures.dir("qwen2"))) {
            for (JsonNode c : EXPECTED.get("chat")) {
                List<ChatMessage> msgs = new ArrayList<>();
                for (JsonNode m : c.get("messages")) msgs.add(new ChatMessage(m.get("role").asText(), m.get("content").asText()));
                boolean gen = c.get("add_generation_prompt").asBoolean();
                assertThat(tok.chatTemplate().orElseThrow().render(msgs, gen)).isEqualTo(c.get("text").asText());
                assertThat(tok.encodeChat(msgs, gen)).containsExactly(HfFixtures.ints(c.get("ids")));
            }
        }
    }

    @Test
    void templatesThatRejectAConversationOrCannotRenderAreBadInput() {
        ChatTemplate strict = new ChatTemplate("{% if messages[0]['role'] != 'user' %}{{ raise_exception('first message must be from the user') }}"
                + "{% endif %}{{ eos_token }}", "test-template", Map.of("eos_token", "</s>"));
        assertThat(strict.render(List.of(ChatMessage.user("hi")), true)).isEqualTo("</s>");
        assertThatThrownBy(() -> strict.render(List.of(ChatMessage.system("x")), true))
                .isInstanceOf(InputError.class).hasMessageContaining("test-template").hasMessageContaining("first message must be from the user");
        ChatTemplate broken = new ChatTemplate("{% for m in messages %}{{ m.content }}", "broken-template", Map.of());
        assertThatThrownBy(() -> broken.render(List.of(ChatMessage.user("hi")), true))
                .isInstanceOf(InputError.class).hasMessageContaining("broken-template");
    }
}
