package dev.owlet.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.owlet.model.HfFixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code owlet hf sample} and {@code owlet hf logprob} on the fixture Qwen2 checkpoint, text in and text out,
 * against what transformers generated and scored from the same text (tools/hf-fixtures.py, cli-expected.json);
 * bad folders and options exit 2 naming the file or option.
 */
class HfCliTest {
    static final JsonNode EXPECTED = HfFixtures.json("qwen2", "cli-expected.json");
    static final String MODEL = HfFixtures.dir("qwen2").toString();

    @TempDir
    Path tmp;

    @Test
    void greedySampleMatchesTransformersWithAndWithoutTheChatTemplate() throws Exception {
        OwletCliTest.Result plain = OwletCliTest.run("hf", "sample", "--model", MODEL, "--prompt", EXPECTED.get("prompt").asText(),
                "--temperature", "0", "--max-tokens", "8", "--json");
        assertThat(plain.code()).as(plain.err()).isZero();
        JsonNode p = new ObjectMapper().readTree(plain.out());
        assertThat(HfFixtures.ints(p.get("completion_ids"))).containsExactly(HfFixtures.ints(EXPECTED.get("greedy_ids")));
        assertThat(p.get("text").asText()).isEqualTo(EXPECTED.get("greedy_text").asText());

        OwletCliTest.Result chat = OwletCliTest.run("hf", "sample", "--model", MODEL, "--chat", "--prompt",
                EXPECTED.get("chat_user").asText(), "--temperature", "0", "--max-tokens", "8");
        assertThat(chat.code()).as(chat.err()).isZero();
        assertThat(chat.out()).isEqualTo(EXPECTED.get("chat_greedy_text").asText() + System.lineSeparator());
    }

    @Test
    void sampledTextDependsOnTheSeedOnly() {
        String[] args = {"hf", "sample", "--model", MODEL, "--prompt", "the owl", "--temperature", "1", "--max-tokens", "12", "--json"};
        OwletCliTest.Result a = OwletCliTest.run(concat(args, "--seed", "3"));
        OwletCliTest.Result b = OwletCliTest.run(concat(args, "--seed", "3"));
        OwletCliTest.Result c = OwletCliTest.run(concat(args, "--seed", "4"));
        assertThat(a.code()).as(a.err()).isZero();
        assertThat(a.out()).isEqualTo(b.out()).isNotEqualTo(c.out());
    }

    @Test
    void logprobMatchesTransformers() {
        OwletCliTest.Result r = OwletCliTest.run("hf", "logprob", "--model", MODEL, "--prompt", EXPECTED.get("prompt").asText(),
                "--continuation", EXPECTED.get("continuation").asText());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(Double.parseDouble(r.out().trim())).isCloseTo(EXPECTED.get("logprob").asDouble(), Offset.offset(1e-3));
    }

    @Test
    void anAdapterChangesTheScore() {
        String[] args = {"hf", "logprob", "--model", MODEL, "--prompt", "the owl is", "--continuation", " wise"};
        OwletCliTest.Result base = OwletCliTest.run(args);
        OwletCliTest.Result adapted = OwletCliTest.run(concat(args, "--adapter", HfFixtures.dir("qwen2-lora").toString()));
        assertThat(adapted.code()).as(adapted.err()).isZero();
        assertThat(Double.parseDouble(adapted.out().trim())).isNotCloseTo(Double.parseDouble(base.out().trim()), Offset.offset(0.1));
    }

    @Test
    void benchTimesLoraStepsAndReportsMemory() {
        OwletCliTest.Result r = OwletCliTest.run("hf", "bench", "--model", MODEL, "--batch", "2", "--tokens", "8", "--steps", "2",
                "--rank", "2");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("QWEN2").contains("LoRA r 2 step (2 x 8 tokens").containsPattern("peak resident memory: \\d");
        assertThat(OwletCliTest.run("hf", "bench", "--model", MODEL, "--tokens", "4096").code()).isEqualTo(2); // past the context
    }

    @Test
    void badFoldersAndOptionsExitTwoNamingTheFileOrOption() throws Exception {
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        OwletCliTest.Result none = OwletCliTest.run("hf", "sample", "--model", empty.toString(), "--prompt", "x");
        assertThat(none.code()).isEqualTo(2);
        assertThat(none.err()).contains(empty.resolve("config.json").toString());

        Path bad = Files.createDirectories(tmp.resolve("bad"));
        Files.writeString(bad.resolve("config.json"), "{\"architectures\": [\"MambaForCausalLM\"], \"model_type\": \"mamba\"}");
        OwletCliTest.Result arch = OwletCliTest.run("hf", "logprob", "--model", bad.toString(), "--prompt", "x", "--continuation", "y");
        assertThat(arch.code()).isEqualTo(2);
        assertThat(arch.err()).contains("MambaForCausalLM").contains(bad.resolve("config.json").toString());

        OwletCliTest.Result noTok = OwletCliTest.run("hf", "sample", "--model", HfFixtures.dir("llama").toString(), "--prompt", "x");
        assertThat(noTok.code()).isEqualTo(2);
        assertThat(noTok.err()).contains("tokenizer.json");

        OwletCliTest.Result noTemplate = OwletCliTest.run("hf", "sample", "--model", MODEL, "--prompt", "x", "--system", "s");
        assertThat(noTemplate.code()).isEqualTo(2);
        assertThat(noTemplate.err()).contains("--system needs --chat");

        OwletCliTest.Result temp = OwletCliTest.run("hf", "sample", "--model", MODEL, "--prompt", "x", "--temperature", "-1");
        assertThat(temp.code()).isEqualTo(2);
        assertThat(temp.err()).contains("temperature");
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
