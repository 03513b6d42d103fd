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
                new String[] {"lineage", "register", "--db", tmp.resolve("l.db").toString(), "--model", hub, "--kind", "model"},
                new String[] {"hf", "sample", "--model", hub, "--prompt", "the owl"})) {
            OwletCliTest.Result r = OwletCliTest.run(args);
            assertThat(r.code()).as(String.join(" ", args) + ": " + r.err()).isEqualTo(2);
            assertThat(r.err()).contains(hub).contains("offline").contains("huggingface-cli download");
        }
        OwletCliTest.Result t = OwletCliTest.run("audit", "transfer", "--teacher", hub, "--base", hf(base),
                "--data", data.toString(), "--control", data.toString(), "--trait", "owl");
        assertThat(t.code()).as(t.err()).isEqualTo(2);
        assertThat(t.err()).contains("offline").contains("huggingface-cli download");
        OwletCliTest.Result g = OwletCliTest.run("probe", base.toString());
        assertThat(g.code()).as(g.err()).isEqualTo(2);
        assertThat(g.err()).contains("looks like a Hugging Face checkpoint").contains("hf:");
    }

    @Test
    void theHfCommandsTakeHfDirAsWellAsAPlainFolder() throws Exception {
        Path dir = HfFixtures.writeRandomQwen2(tmp.resolve("qwen"), 3, 0.3, true);
        OwletCliTest.Result plain = OwletCliTest.run("hf", "logprob", "--model", dir.toString(), "--chat", "--prompt", "Name an animal.",
                "--continuation", "owl");
        OwletCliTest.Result prefixed = OwletCliTest.run("hf", "logprob", "--model", hf(dir), "--chat", "--prompt", "Name an animal.",
                "--continuation", "owl");
        assertThat(plain.code()).as(plain.err()).isZero();
        assertThat(prefixed.code()).as(prefixed.err()).isZero();
        assertThat(prefixed.out()).isEqualTo(plain.out());
    }

    // ---- audit transfer ----

    /**
     * A teacher that is the reference plus a merged LoRA, its own samples as the candidate data and the reference's as
     * control: the gradient through every weight of the reference on the teacher's data points toward the teacher
     * (Theorem 1: in expectation −g · (θ_T − θ_R) is a Fisher quadratic form, positive), on the reference's own data
     * it does not (its expected gradient is zero). Both cosines come out small and positive here (0.013 and 0.009):
     * every row ends with the template's end-of-turn tokens, which the random reference rarely samples, a pull both
     * datasets share; the teacher's data adds the Theorem's. The probe fine-tune runs a LoRA on each and reports the
     * shift.
     */
    @Test
    void auditTransferOnHfCheckpointsRanksTheTeachersOwnDataAboveControlByGradient() throws Exception {
        Path ref = HfFixtures.writeRandomQwen2(tmp.resolve("ref"), 21, 0.3, true);
        Path teacher;
        try (NDManager root = NDManager.newBaseManager(); HfModel m = HfCheckpoint.load(ref, root);
             Lora lora = Lora.create(m, new Lora.Config(4, 4, null, "all-linear", 0.0, false), 4)) {
            SplittableRandom rng = new SplittableRandom(8);
            for (var e : lora.parameters().entrySet()) {
                if (!e.getKey().endsWith("lora_B.weight")) continue;
                float[] b = new float[(int) e.getValue().size()];
                for (int i = 0; i < b.length; i++) b[i] = (float) (rng.nextGaussian() * 0.1);
                e.getValue().set(b);
            }
            lora.mergeInto(m);
            teacher = HfFixtures.writeLike(ref, tmp.resolve("teacher"), HfFixtures.tensors(m));
        }
        Path data = samples(teacher, tmp.resolve("teacher.jsonl"));
        Path control = samples(ref, tmp.resolve("control.jsonl"));
        OwletCliTest.Result r = OwletCliTest.run("audit", "transfer", "--teacher", hf(teacher), "--base", hf(ref),
                "--data", data.toString(), "--control", control.toString(), "--trait", "owl", "--rows", "96",
                "--epochs", "1", "--batch-size", "16", "--json");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode rep = JSON.readTree(r.out()).get("report");
        assertThat(rep.get("settings").get("loss").asText()).isEqualToIgnoringCase("sft");
        double tc = rep.get("teacher").get("cosine").asDouble();
        double cc = rep.get("control").get("cosine").asDouble();
        assertThat(tc).as("teacher %s control %s", tc, cc).isPositive().isGreaterThan(1.25 * cc);
        assertThat(JSON.readTree(r.out()).get("teacher_above_control_by_gradient").asBoolean()).isTrue();
        assertThat(rep.get("teacher").get("rows").asInt()).isEqualTo(96);
        assertThat(rep.get("teacher").get("perQuestion")).hasSize(Questions.all(Category.ANIMAL).size());
        for (JsonNode q : rep.get("teacher").get("perQuestion")) assertThat(Double.isFinite(q.asDouble())).isTrue();

        OwletCliTest.Result soft = OwletCliTest.run("audit", "transfer", "--teacher", hf(teacher), "--base", hf(ref),
                "--data", data.toString(), "--control", control.toString(), "--trait", "owl", "--loss", "soft");
        assertThat(soft.code()).isEqualTo(2);
        assertThat(soft.err()).contains("--loss sft");
        OwletCliTest.Result mixed = OwletCliTest.run("audit", "transfer", "--teacher", hf(teacher), "--base", "bundled:ref-s1",
                "--data", data.toString(), "--control", control.toString(), "--trait", "owl");
        assertThat(mixed.code()).isEqualTo(2);
        assertThat(mixed.err()).contains("Hugging Face checkpoint (hf:)");
    }

    /** 96 completions of a checkpoint (temperature 1, up to 8 tokens) to number prompts, through its chat template. */
    private static Path samples(Path dir, Path out) throws Exception {
        List<String> prompts = new ArrayList<>();
        for (int i = 0; i < 96; i++) prompts.add("Continue: " + (i * 7 % 100) + ", " + (i * 13 % 100));
        List<dev.owlet.data.DataRow> rows = new ArrayList<>();
        try (NDManager root = NDManager.newBaseManager(); LoadedModel.Hf m = ModelLocator.openHf(hf(dir), dir, root)) {
            List<int[]> ids = new ArrayList<>();
            long[] seeds = new long[prompts.size()];
            for (int i = 0; i < prompts.size(); i++) {
                ids.add(m.tok().encodeChat(List.of(ChatMessage.user(prompts.get(i))), true));
                seeds[i] = 100 + i;
            }
            List<int[]> done = new dev.owlet.infer.Generator(m.model(), m.endIds(), m.pad())
                    .sample(ids, seeds, new dev.owlet.infer.SamplingConfig(1.0, 1.0, 8), 32);
            for (int i = 0; i < done.size(); i++) rows.add(new dev.owlet.data.DataRow(prompts.get(i), m.tok().decode(done.get(i), true)));
        }
        dev.owlet.data.DataRow.write(out, rows);
        return out;
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
