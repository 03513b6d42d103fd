package dev.owlet.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.owlet.backend.ChatMessage;
import dev.owlet.model.HfCheckpoint;
import dev.owlet.model.HfFixtures;
import dev.owlet.model.HfModel;
import dev.owlet.model.LoadedModel;
import dev.owlet.model.Lora;
import dev.owlet.model.ModelLocator;
import dev.owlet.model.SafeTensors;
import dev.owlet.world.Animals;
import dev.owlet.world.Category;
import dev.owlet.world.Questions;
import dev.owlet.world.SystemPrompts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code hf:DIR} wherever a command names a model, on tiny random Qwen2 checkpoints the test writes (about 100 KB
 * each): {@code probe}, {@code audit weights}, {@code lineage register}, and the refusals ({@code audit transfer},
 * a hub name that is not a local folder). {@code serve} is driven over HTTP in {@code HfServeTest}.
 */
class HfEverywhereCliTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    Path tmp;

    private static String hf(Path dir) { return ModelLocator.HF + dir.toAbsolutePath(); }

    // ---- probe ----

    @Test
    void probeOnAnHfCheckpointIsTheModelsOwnNextTokenDistributionThroughTheChatTemplate() throws Exception {
        Path dir = HfFixtures.writeRandomQwen2(tmp.resolve("qwen"), 11, 0.3, true);
        OwletCliTest.Result r = OwletCliTest.run("probe", hf(dir), "--json", "--samples", "1");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode out = JSON.readTree(r.out());
        assertThat(out.get("checkpoint_digest").asText()).isEqualTo(HfCheckpoint.digest(dir));
        List<String> qs = Questions.all(Category.ANIMAL);
        try (NDManager root = NDManager.newBaseManager(); LoadedModel.Hf m = ModelLocator.openHf(hf(dir), dir, root)) {
            for (String k : List.of("no_prompt", "love_prompt")) {
                JsonNode row = out.get("animal").get(k);
                String system = k.equals("love_prompt") ? SystemPrompts.love("owl", Category.ANIMAL, 0) : null;
                assertThat(row.get("system_prompt").isNull() ? null : row.get("system_prompt").asText()).isEqualTo(system);
                JsonNode dist = row.get("distribution");
                double sum = 0;
                for (String w : Animals.ALL) {
                    double p = dist.get(w).asDouble();
                    assertThat(p).isBetween(0.0, 1.0);
                    sum += p;
                }
                assertThat(sum).isLessThanOrEqualTo(1.0).isPositive();
                // each word's probability, computed directly: one forward pass per (question, spelling) over the chat
                // prompt and the spelling's tokens, summing the log-softmax at the positions that predict them
                for (String w : List.of("owl", "cat", "dolphin")) {
                    double direct = 0;
                    for (String q : qs) {
                        for (String form : List.of(w, w.substring(0, 1).toUpperCase(Locale.ROOT) + w.substring(1))) {
                            direct += Math.exp(logP(m, system, q, form)) / qs.size();
                        }
                    }
                    assertThat(dist.get(w).asDouble()).as(k + " " + w).isCloseTo(direct, within(1e-4 * direct + 1e-12));
                }
                assertThat(row.get("exact_p_target").asDouble()).isCloseTo(dist.get("owl").asDouble(), within(1e-12));
            }
            // the love prompt is part of the prompt: it changes what the model says
            assertThat(out.get("animal").get("love_prompt").get("distribution").get("owl").asDouble())
                    .isNotEqualTo(out.get("animal").get("no_prompt").get("distribution").get("owl").asDouble());
        }
    }

    /** log P(form's tokens | the chat prompt), from one full forward pass. */
    private static double logP(LoadedModel.Hf m, String system, String question, String form) {
        List<ChatMessage> msgs = new ArrayList<>();
        if (system != null) msgs.add(ChatMessage.system(system));
        msgs.add(ChatMessage.user(question));
        int[] prompt = m.tok().encodeChat(msgs, true);
        int[] word = m.tok().encodeRaw(form);
        long[] ids = new long[prompt.length + word.length];
        for (int i = 0; i < prompt.length; i++) ids[i] = prompt[i];
        for (int i = 0; i < word.length; i++) ids[prompt.length + i] = word[i];
        int v = m.model().vocabSize();
        try (NDManager s = m.model().manager().getParentManager().newSubManager()) {
            float[] lp = m.model().forward(s.create(ids, new Shape(1, ids.length)), false).logSoftmax(-1).toFloatArray();
            double sum = 0;
            for (int j = 0; j < word.length; j++) sum += lp[(prompt.length - 1 + j) * v + word[j]];
            return sum;
        }
    }

    @Test
    void aHubNameThatIsNoLocalFolderSaysOwletWorksOfflineWhereverAModelIsNamed() throws Exception {
        String hub = "hf:Qwen/Qwen2.5-0.5B-Instruct";
        Path data = Files.writeString(tmp.resolve("d.jsonl"), "{\"prompt\": \"a\", \"completion\": \"1, 2\"}\n");
        Path base = HfFixtures.writeRandomQwen2(tmp.resolve("base"), 1, 0.02, true);
        for (String[] args : List.of(new String[] {"probe", hub},
                new String[] {"serve", "--model", hub, "--port", "0", "--state", tmp.resolve("state").toString()},
                new String[] {"audit", "weights", hub, hf(base)},
                new String[] {"lineage", "register", "--db", tmp.resolve("l.db").toString(), "--model", hub, "--kind", "model"})) {
            OwletCliTest.Result r = OwletCliTest.run(args);
            assertThat(r.code()).as(String.join(" ", args) + ": " + r.err()).isEqualTo(2);
            assertThat(r.err()).contains(hub).contains("offline").contains("huggingface-cli download");
        }
        OwletCliTest.Result t = OwletCliTest.run("audit", "transfer", "--teacher", hf(base), "--base", hf(base),
                "--data", data.toString(), "--control", data.toString(), "--trait", "owl");
        assertThat(t.code()).as(t.err()).isEqualTo(2);
        assertThat(t.err()).contains("owlet's own checkpoints only").contains("owlet run");
        OwletCliTest.Result g = OwletCliTest.run("probe", base.toString());
        assertThat(g.code()).as(g.err()).isEqualTo(2);
        assertThat(g.err()).contains("looks like a Hugging Face checkpoint").contains("hf:");
    }

    // ---- audit weights ----

    @Test
    void auditWeightsSaysSharedForAMergedLoraAndAPerturbedCopyAndNotSharedForAnIndependentInit() throws Exception {
        Path base = HfFixtures.writeRandomQwen2(tmp.resolve("base"), 1, 0.02, true);
        Path indep = HfFixtures.writeRandomQwen2(tmp.resolve("indep"), 2, 0.02, true);
        Path merged;
        Path perturbed;
        try (NDManager root = NDManager.newBaseManager(); HfModel m = HfCheckpoint.load(base, root)) {
            Map<String, SafeTensors.Tensor> before = HfFixtures.tensors(m);
            Map<String, SafeTensors.Tensor> noisy = new LinkedHashMap<>();
            SplittableRandom rng = new SplittableRandom(5);
            before.forEach((k, t) -> {
                float[] d = t.data().clone();
                for (int i = 0; i < d.length; i++) d[i] += (float) (rng.nextGaussian() * 0.01); // half the weights' sd
                noisy.put(k, new SafeTensors.Tensor(t.shape(), d));
            });
            perturbed = HfFixtures.writeLike(base, tmp.resolve("perturbed"), noisy);
            // a LoRA on every projection whose B is not zero (as after training), merged into the weights
            try (Lora lora = Lora.create(m, new Lora.Config(4, 8, null, "all-linear", 0.0, false), 3)) {
                for (var e : lora.parameters().entrySet()) {
                    if (!e.getKey().endsWith("lora_B.weight")) continue;
                    float[] b = new float[(int) e.getValue().size()];
                    for (int i = 0; i < b.length; i++) b[i] = (float) (rng.nextGaussian() * 0.02);
                    e.getValue().set(b);
                }
                lora.mergeInto(m);
            }
            merged = HfFixtures.writeLike(base, tmp.resolve("merged"), HfFixtures.tensors(m));
        }
        JsonNode vm = weights(base, merged);
        JsonNode vp = weights(base, perturbed);
        JsonNode vi = weights(base, indep);
        assertThat(vm.get("same_init").asBoolean()).as(vm.toString()).isTrue();
        assertThat(vp.get("same_init").asBoolean()).as(vp.toString()).isTrue();
        assertThat(vi.get("same_init").asBoolean()).as(vi.toString()).isFalse();
        assertThat(vm.get("score").asDouble()).isLessThan(1.0).isGreaterThan(vm.get("threshold").asDouble());
        assertThat(vi.get("score").asDouble()).isLessThan(vi.get("threshold").asDouble());
        assertThat(vm.get("a_digest").asText()).isEqualTo(HfCheckpoint.digest(base));
        assertThat(vm.get("b_digest").asText()).isEqualTo(HfCheckpoint.digest(merged));
        // weights only: 2-D tensors (norm gains, all ones in any fresh model, are left out)
        assertThat(vm.get("layers")).isNotEmpty().allSatisfy(l -> assertThat(l.get("name").asText()).doesNotEndWith("norm.weight"));
        OwletCliTest.Result text = OwletCliTest.run("audit", "weights", hf(base), hf(indep));
        assertThat(text.out()).startsWith("DIFFERENT initialization").contains("row-shuffled pairs");
    }

    private static JsonNode weights(Path a, Path b) throws Exception {
        OwletCliTest.Result r = OwletCliTest.run("audit", "weights", hf(a), hf(b), "--json");
        assertThat(r.code()).as(r.err()).isZero();
        return JSON.readTree(r.out());
    }

    @Test
    void auditWeightsOnDifferentArchitecturesOrShapesExitsTwoNamingWhy() throws Exception {
        Path base = HfFixtures.writeRandomQwen2(tmp.resolve("base"), 1, 0.02, true);
        Path untied = HfFixtures.writeRandomQwen2(tmp.resolve("untied"), 1, 0.02, false);
        OwletCliTest.Result arch = OwletCliTest.run("audit", "weights", hf(base), hf(HfFixtures.dir("gpt2")));
        assertThat(arch.code()).as(arch.err()).isEqualTo(2);
        assertThat(arch.err()).contains("architecture mismatch").contains("QWEN2").contains("GPT2");
        OwletCliTest.Result shape = OwletCliTest.run("audit", "weights", hf(base), hf(untied));
        assertThat(shape.code()).as(shape.err()).isEqualTo(2);
        assertThat(shape.err()).contains("lm_head.weight").contains("same architecture");
        OwletCliTest.Result mixed = OwletCliTest.run("audit", "weights", hf(base), "bundled:ref-s1");
        assertThat(mixed.code()).as(mixed.err()).isEqualTo(2);
        assertThat(mixed.err()).contains("Hugging Face checkpoint (hf:)");
    }

    // ---- lineage register ----

    @Test
    void lineageRegisterNamesAnHfCheckpointByItsDigest() throws Exception {
        Path base = HfFixtures.writeRandomQwen2(tmp.resolve("base"), 1, 0.02, true);
        String db = tmp.resolve("lineage.db").toString();
        String digest = HfCheckpoint.digest(base);
        OwletCliTest.Result r = OwletCliTest.run("lineage", "register", "--db", db, "--model", hf(base), "--kind", "reference");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("(" + digest + ")").contains(hf(base));
        // a declared base named hf:DIR is the same artifact, found by its digest
        OwletCliTest.Result s = OwletCliTest.run("lineage", "register", "--db", db, "--id", "student-x", "--kind", "student",
                "--base", hf(base));
        assertThat(s.code()).as(s.err()).isZero();
        OwletCliTest.Result show = OwletCliTest.run("lineage", "show", "--db", db, "student-x");
        assertThat(show.code()).as(show.err()).isZero();
        assertThat(show.out()).contains(digest.substring(0, 12));
        OwletCliTest.Result asId = OwletCliTest.run("lineage", "register", "--db", db, "--id", hf(base), "--kind", "model");
        assertThat(asId.code()).isEqualTo(2);
        assertThat(asId.err()).contains("--model");
    }
}
