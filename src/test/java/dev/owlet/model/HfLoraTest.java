package dev.owlet.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.owlet.experiment.InputError;
import dev.owlet.infer.Generator;
import dev.owlet.infer.SamplingConfig;
import dev.owlet.train.Example;
import dev.owlet.train.HfTrainer;
import dev.owlet.train.OptimConfig;
import dev.owlet.train.TokenBatch;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * LoRA in PEFT's layout: adapters peft wrote (fixed non-zero A and B, so the update is visible) give peft's
 * logits in owlet; owlet trains an adapter with the base frozen bit for bit, and what it saves reads back.
 *
 * <p>The other direction (owlet's saved adapter loaded by peft) is checked by hand, not in CI (no Python here):
 * this test leaves {@code target/hf-lora-trained/} with owlet's logits beside the adapter, and
 * {@code tools/hf-fixtures.py --check-adapter target/hf-lora-trained} prints peft's difference from them
 * (docs/open-weights.md records the result).
 */
class HfLoraTest {
    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"qwen2-lora", "gpt2-lora"})
    void peftAdaptersGivePeftsLogitsAndGreedyText(String name) {
        HfFixtures.Expected e = HfFixtures.expected(name);
        String base = name.replace("-lora", "");
        HfFixtures.Expected plain = HfFixtures.expected(base);
        try (NDManager root = NDManager.newBaseManager(); HfModel model = HfCheckpoint.load(HfFixtures.dir(base), root);
             Lora lora = Lora.load(HfFixtures.dir(name), model); NDManager m = root.newSubManager()) {
            model.attach(lora);
            float[] logits = model.forward(m.create(HfFixtures.longs(e.tokens()), new Shape(1, e.tokens().length)), false)
                    .toFloatArray();
            float diff = HfFixtures.maxAbsDiff(logits, e.logits());
            System.out.printf("%s: max |owlet - peft| logit = %.3g (adapter moves logits by up to %.3g)%n", name, diff,
                    HfFixtures.maxAbsDiff(plain.logits(), e.logits()));
            assertThat(diff).isLessThan(HfReferenceTest.TOL);
            assertThat(HfFixtures.maxAbsDiff(plain.logits(), e.logits())).as("the adapter must matter").isGreaterThan(0.5f);
            int[] greedy = new Generator(model, new int[0], 0).sampleBatch(List.of(e.prompt()), new long[] {1},
                    new SamplingConfig(0, 1, e.greedy().length), null).get(0);
            assertThat(greedy).containsExactly(e.greedy());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"qwen2", "gpt2"})
    void aFreshAdapterWithZeroBLeavesEveryLogitBitIdentical(String name) {
        int[] probe = HfFixtures.expected(name).tokens();
        try (NDManager root = NDManager.newBaseManager(); HfModel model = HfCheckpoint.load(HfFixtures.dir(name), root)) {
            float[] base = logits(model, probe, root);
            try (Lora lora = Lora.create(model, Lora.Config.of(4, 16, List.of("q_proj", "k_proj", "v_proj",
                    "o_proj", "gate_proj", "up_proj", "down_proj", "c_attn", "c_proj", "c_fc"), 0.0), 3)) {
                assertThat(lora.parameters().entrySet()).filteredOn(e -> e.getKey().contains("lora_A"))
                        .allSatisfy(e -> assertThat(e.getValue().abs().max().getFloat()).isGreaterThan(0f)); // A is drawn
                model.attach(lora);
                assertThat(logits(model, probe, root)).containsExactly(base);
            }
            model.attach(null);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"qwen2-lora", "gpt2-lora"})
    void aMergedAdapterGivesTheUnmergedLogits(String name) {
        String baseName = name.replace("-lora", "");
        int[] probe = HfFixtures.expected(baseName).tokens();
        try (NDManager root = NDManager.newBaseManager(); HfModel model = HfCheckpoint.load(HfFixtures.dir(baseName), root);
             Lora lora = Lora.load(HfFixtures.dir(name), model)) {
            float[] base = logits(model, probe, root);
            model.attach(lora);
            float[] adapted = logits(model, probe, root);
            model.attach(null);
            lora.mergeInto(model);
            float[] merged = logits(model, probe, root);
            System.out.printf("%s: merged vs attached max |diff| %.3g (the adapter moves logits by %.3g)%n", name,
                    HfFixtures.maxAbsDiff(merged, adapted), HfFixtures.maxAbsDiff(base, adapted));
            assertThat(HfFixtures.maxAbsDiff(base, adapted)).isGreaterThan(0.5f);
            assertThat(HfFixtures.maxAbsDiff(merged, adapted)).isLessThan(HfReferenceTest.TOL);
        }
    }

    @Test
    void trainingLowersTheLossLeavesTheBaseBitIdenticalAndTheSavedAdapterReadsBack() throws Exception {
        Path base = HfFixtures.dir("qwen2");
        List<Example> rows = List.of(new Example(new int[] {5, 17, 42}, new int[] {3, 69, 64, 8}),
                new Example(new int[] {23, 77}, new int[] {1, 50, 31, 9, 9}),
                new Example(new int[] {11, 4, 70, 27}, new int[] {60, 33}));
        TokenBatch batch = TokenBatch.of(rows, 0, 128);
        int[] probe = HfFixtures.expected("qwen2").tokens();
        try (NDManager root = NDManager.newBaseManager(); HfModel model = HfCheckpoint.load(base, root)) {
            Map<String, float[]> before = new LinkedHashMap<>();
            model.parameters().forEach((k, v) -> before.put(k, v.toFloatArray()));
            Lora.Config cfg = Lora.Config.of(4, 8, List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj",
                    "down_proj"), 0.1);
            float[] trainedLogits;
            double first;
            double last;
            try (Lora lora = Lora.create(model, cfg, 42)) {
                assertThat(lora.parameters()).hasSize(2 * 7 * model.layers());
                try (HfTrainer t = HfTrainer.lora(model, lora, OptimConfig.constant(1e-2, 30), 7)) {
                    first = t.step(batch);
                    last = first;
                    for (int i = 1; i < 30; i++) last = t.step(batch);
                }
                System.out.printf("LoRA on a fixed batch: loss %.3f -> %.3f in 30 steps%n", first, last);
                trainedLogits = logits(model, probe, root);
                lora.save(tmp.resolve("adapter"), base.toString());
                Path manual = Path.of("target", "hf-lora-trained");
                lora.save(manual, base.toAbsolutePath().toString());
                ObjectNode o = new ObjectMapper().createObjectNode();
                o.putPOJO("tokens", probe);
                o.putPOJO("logits", trainedLogits);
                new ObjectMapper().writeValue(manual.resolve("owlet-logits.json").toFile(), o);
            }
            assertThat(last).isLessThan(first * 0.7);
            model.parameters().forEach((k, v) -> assertThat(v.toFloatArray()).as(k).containsExactly(before.get(k)));

            // read back: a fresh attach of the saved adapter gives the trained model's logits exactly
            try (Lora back = Lora.load(tmp.resolve("adapter"), model)) {
                assertThat(back.config().scaling()).isEqualTo(2.0);
                model.attach(back);
                assertThat(logits(model, probe, root)).containsExactly(trainedLogits);
            }
            model.attach(null);
            assertThat(HfFixtures.maxAbsDiff(logits(model, probe, root), trainedLogits)).isGreaterThan(0.01f);
        }
    }

    @Test
    void theSameSeedTrainsTheSameAdapterBitForBitAndAnotherSeedDoesNot() {
        List<Example> rows = List.of(new Example(new int[] {5, 17}, new int[] {3, 69, 64}), new Example(new int[] {23}, new int[] {1, 50}));
        TokenBatch batch = TokenBatch.of(rows, 0, 128);
        Lora.Config cfg = Lora.Config.of(2, 4, List.of("q_proj", "v_proj", "down_proj"), 0.3);
        try (NDManager root = NDManager.newBaseManager(); HfModel model = HfCheckpoint.load(HfFixtures.dir("qwen2"), root)) {
            float[][] b = new float[3][];
            long[] seeds = {5, 5, 6};
            for (int run = 0; run < 3; run++) {
                try (Lora lora = Lora.create(model, cfg, 1);
                     HfTrainer t = HfTrainer.lora(model, lora, OptimConfig.constant(1e-2, 5), seeds[run])) {
                    for (int i = 0; i < 5; i++) t.step(batch);
                    b[run] = lora.parameters().get("base_model.model.model.layers.1.mlp.down_proj.lora_B.weight").toFloatArray();
                }
            }
            assertThat(b[1]).containsExactly(b[0]);
            assertThat(b[2]).isNotEqualTo(b[0]); // dropout 0.3 is in play: the seed matters
        }
    }

    private static float[] logits(HfModel model, int[] tokens, NDManager root) {
        try (NDManager m = root.newSubManager()) {
            return model.forward(m.create(HfFixtures.longs(tokens), new Shape(1, tokens.length)), false).toFloatArray();
        }
    }

    @Test
    void adaptersThatDoNotFitOrUseUnsupportedOptionsAreBadInput() throws Exception {
        try (NDManager root = NDManager.newBaseManager(); HfModel qwen = HfCheckpoint.load(HfFixtures.dir("qwen2"), root)) {
            // a GPT-2 adapter on a Qwen2 model: its target modules match nothing
            assertThatThrownBy(() -> Lora.load(HfFixtures.dir("gpt2-lora"), qwen)).isInstanceOf(InputError.class)
                    .hasMessageContaining("c_attn").hasMessageContaining("q_proj");
            Path dora = copy("qwen2-lora");
            edit(dora.resolve(Lora.CONFIG), "\"use_dora\": false", "\"use_dora\": true");
            assertThatThrownBy(() -> Lora.load(dora, qwen)).isInstanceOf(InputError.class)
                    .hasMessageContaining(dora.resolve(Lora.CONFIG).toString()).hasMessageContaining("use_dora");
            Path rank = copy("qwen2-lora");
            edit(rank.resolve(Lora.CONFIG), "\"r\": 4", "\"r\": 8");
            assertThatThrownBy(() -> Lora.load(rank, qwen)).isInstanceOf(InputError.class)
                    .hasMessageContaining(Lora.WEIGHTS).hasMessageContaining("lora_A.weight").hasMessageContaining("(8, ");
        }
    }

    private Path copy(String name) throws Exception {
        Path to = Files.createTempDirectory(tmp, name);
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
}
