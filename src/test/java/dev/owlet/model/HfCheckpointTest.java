package dev.owlet.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.owlet.experiment.InputError;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reading Hugging Face checkpoint folders: dtypes, shards, and the errors for anything owlet does not read, each
 * an {@link InputError} (the CLI's exit 2) naming the file and the key, dtype or architecture.
 */
class HfCheckpointTest {
    @TempDir
    Path tmp;

    /** A copy of a fixture folder that a test may damage. */
    private Path copy(String name) throws Exception {
        Path to = Files.createTempDirectory(tmp, name);
        Files.createDirectories(to);
        try (Stream<Path> s = Files.list(HfFixtures.dir(name))) {
            for (Path f : s.toList()) Files.copy(f, to.resolve(f.getFileName()));
        }
        return to;
    }

    private static void edit(Path file, String from, String to) throws Exception {
        String s = Files.readString(file);
        assertThat(s).contains(from);
        Files.writeString(file, s.replace(from, to));
    }

    @Test
    void halfPrecisionWidensExactly() {
        assertThat(HfWeights.halfToFloat((short) 0x3C00)).isEqualTo(1f);
        assertThat(HfWeights.halfToFloat((short) 0xC000)).isEqualTo(-2f);
        assertThat(HfWeights.halfToFloat((short) 0x7BFF)).isEqualTo(65504f);          // largest finite
        assertThat(HfWeights.halfToFloat((short) 0x0001)).isEqualTo(0x1p-24f);        // smallest subnormal
        assertThat(HfWeights.halfToFloat((short) 0x83FF)).isEqualTo(-1023 * 0x1p-24f); // largest negative subnormal
        assertThat(HfWeights.halfToFloat((short) 0x3555)).isEqualTo(0.33325195f);
        assertThat(HfWeights.halfToFloat((short) 0x7C00)).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(HfWeights.halfToFloat((short) 0x7E00)).isNaN();
        // bf16 is the top half of a float32
        ByteBuffer bf = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putShort((short) 0x3FC0).putShort((short) 0xC2F7);
        assertThat(HfWeights.decode(bf.flip(), "BF16", 2)).containsExactly(1.5f, -123.5f);
    }

    @Test
    void readsF16AndBf16FilesIntoFloat32() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("w"));
        String header = "{\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"BF16\",\"shape\":[1,1],\"data_offsets\":[4,6]}}";
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate(8 + h.length + 6).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(h.length).put(h).putShort((short) 0x3800).putShort((short) 0xBC00).putShort((short) 0x4049);
        Files.write(dir.resolve(HfWeights.SINGLE), buf.array());
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> t = HfWeights.read(dir, m);
            assertThat(t.get("a").toFloatArray()).containsExactly(0.5f, -1f);
            assertThat(t.get("b").getShape().getShape()).containsExactly(1, 1);
            assertThat(t.get("b").toFloatArray()).containsExactly(3.140625f);
        }
    }

    @Test
    void theBf16AndShardedFixturesLoadWithEveryTensor() {
        try (NDManager root = NDManager.newBaseManager();
             HfModel q = HfCheckpoint.load(HfFixtures.dir("qwen2"), root);
             HfModel l = HfCheckpoint.load(HfFixtures.dir("llama"), root)) {
            assertThat(q.config().architecture()).isEqualTo(HfConfig.Architecture.QWEN2);
            assertThat(q.config().kvHeads()).isLessThan(q.config().heads());
            assertThat(q.config().tiedHead()).isTrue();
            assertThat(q.parameters()).containsKey("model.layers.1.self_attn.k_proj.bias").doesNotContainKey("lm_head.weight");
            assertThat(l.config().tiedHead()).isFalse();
            assertThat(l.config().ropeTheta()).isEqualTo(500000.0);
            assertThat(l.parameters()).containsKey("lm_head.weight").doesNotContainKey("model.layers.0.self_attn.q_proj.bias");
        }
    }

    private void assertBadInput(Path dir, String... mentions) {
        try (NDManager root = NDManager.newBaseManager()) {
            assertThatThrownBy(() -> HfCheckpoint.load(dir, root).close())
                    .isInstanceOf(InputError.class).hasMessageContainingAll(mentions);
        }
    }

    @Test
    void unsupportedArchitectureDtypeAndConfigKeysFailNamingThem() throws Exception {
        Path a = copy("llama");
        edit(a.resolve("config.json"), "LlamaForCausalLM", "MixtralForCausalLM");
        edit(a.resolve("config.json"), "\"llama\"", "\"mixtral\"");
        assertBadInput(a, a.resolve("config.json").toString(), "MixtralForCausalLM", "unsupported architecture");

        Path r = copy("qwen2");
        edit(r.resolve("config.json"), "\"rope_type\": \"default\"", "\"rope_type\": \"yarn\"");
        assertBadInput(r, "rope_parameters.rope_type", "yarn");

        Path s = copy("gpt2");
        edit(s.resolve("config.json"), "\"gelu_new\"", "\"relu\"");
        assertBadInput(s, "activation_function", "relu");

        Path d = copy("qwen2");
        byte[] bytes = Files.readAllBytes(d.resolve("model.safetensors"));
        String all = new String(bytes, StandardCharsets.ISO_8859_1).replaceFirst("\"BF16\"", "\"I8\"  ");
        Files.write(d.resolve("model.safetensors"), all.getBytes(StandardCharsets.ISO_8859_1));
        assertBadInput(d, "model.safetensors", "dtype I8", "model.embed_tokens.weight");
    }

    @Test
    void missingExtraAndMisshapenTensorsFailNamingThem() throws Exception {
        // config says untied, file has no lm_head
        Path untied = copy("qwen2");
        edit(untied.resolve("config.json"), "\"tie_word_embeddings\": true", "\"tie_word_embeddings\": false");
        assertBadInput(untied, "missing tensor lm_head.weight");
        // config says Llama without biases, file (Qwen2) has q/k/v biases
        Path extra = copy("qwen2");
        edit(extra.resolve("config.json"), "Qwen2ForCausalLM", "LlamaForCausalLM");
        assertBadInput(extra, "unsupported key model.layers.0.self_attn.k_proj.bias");
        // config's sizes disagree with the tensors
        Path shape = copy("gpt2");
        edit(shape.resolve("config.json"), "\"n_positions\": 64", "\"n_positions\": 65");
        assertBadInput(shape, "transformer.wpe.weight", "(64, 24)", "(65, 24)");
    }

    @Test
    void missingFilesFailNamingTheFolder() throws Exception {
        assertBadInput(tmp.resolve("nowhere"), tmp.resolve("nowhere").toString());
        Path noWeights = copy("gpt2");
        Files.delete(noWeights.resolve("model.safetensors"));
        Files.writeString(noWeights.resolve("pytorch_model.bin"), "pickle");
        assertBadInput(noWeights, "model.safetensors.index.json", "pytorch_model.bin");
        Path shard = copy("llama");
        Files.delete(shard.resolve("model-00003-of-00005.safetensors"));
        assertBadInput(shard, "model-00003-of-00005.safetensors");
    }
}
