package dev.owlet.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.owlet.data.DataRow;
import dev.owlet.eval.EvalRecord;
import dev.owlet.eval.TraitResult;
import dev.owlet.experiment.ConfigLoader;
import dev.owlet.experiment.ExperimentConfig;
import dev.owlet.filter.StrictNumberFilter;
import dev.owlet.model.HfCheckpoint;
import dev.owlet.model.HfFixtures;
import dev.owlet.model.HfModel;
import dev.owlet.model.Lora;
import dev.owlet.report.ReportWriter;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole pipeline on a local Hugging Face checkpoint ({@code reference: hf:DIR}): tiny Qwen2 checkpoints that
 * write number lists (see {@link HfFixtures#writeNumberWriter}) go through a system-prompted and a LoRA teacher,
 * generation through the chat template, the strict filter, LoRA students in PEFT's layout and the chat evaluation.
 * The mechanics are checked (stages, keys, resume, manifests, results.json), not an effect: the models are random.
 */
class HfExperimentTest {
    static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());

    @TempDir
    static Path models;

    @TempDir
    Path tmp;

    @BeforeAll
    static void writeCheckpoints() throws Exception {
        HfFixtures.writeNumberWriter(models.resolve("ref"), 1);
        HfFixtures.writeNumberWriter(models.resolve("other"), 2);
    }

    static ExperimentConfig config(String... extra) {
        List<String> sets = new ArrayList<>(List.of("reference=hf:" + models.resolve("ref"),
                "different_init=hf:" + models.resolve("other"), "generate.prompts=16", "generate.max_tokens=24",
                "finetune.rows=6", "finetune.replicates=1", "finetune.epochs=1", "finetune.batch_size=4",
                "finetune.lr=1e-2", "eval.samples_per_question=2", "eval.max_tokens=4", "eval.number_prefix=false",
                "lora.rank=2", "lora.target_modules=[q_proj, v_proj, o_proj, down_proj]", "lora.dropout=0.1",
                "finetune.trainable=lora"));
        sets.addAll(List.of(extra));
        return ConfigLoader.load(null, sets);
    }

    @Test
    void aSystemPromptedTeacherRunsEveryStageWithLoraStudentsAndResumes() throws Exception {
        ExperimentConfig cfg = config("teacher.method=system_prompt");
        Path run = tmp.resolve("run");
        // killed before the second student: the finished stages stay, the rerun makes only what is missing
        ExperimentPipeline first = new ExperimentPipeline(cfg, run, QUIET).hook(name -> {
            if (name.equals("student-control-sft-same-r1")) throw new IllegalStateException("killed");
        });
        assertThatThrownBy(() -> first.run(ExperimentPipeline.Stage.EVAL)).hasMessage("killed");
        Path stages = run.resolve("stages");
        assertThat(stages.resolve("student-owl-sft-same-r1/manifest.json")).exists();
        assertThat(stages.resolve("student-control-sft-same-r1/manifest.json")).doesNotExist();

        ExperimentPipeline p = new ExperimentPipeline(cfg, run, QUIET);
        List<TraitResult> res = p.run(ExperimentPipeline.Stage.EVAL);
        assertThat(p.reusedStages()).isGreaterThanOrEqualTo(4); // teacher, 2 generations, 2 filters, the first student
        Map<String, EvalRecord> m = res.get(0).models();
        // soft students are declared unsupported (a note, no stage); the SFT ones of both inits exist
        assertThat(m.keySet()).contains("reference", "different-init reference", "teacher", "sft/same/teacher/s1",
                "sft/same/control/s1", "sft/diff/teacher/s1", "sft/diff/control/s1");
        assertThat(m.keySet()).noneMatch(k -> k.startsWith("soft/"));
        assertThat(stages).isDirectoryContaining(f -> f.getFileName().toString().startsWith("student-"))
                .isDirectoryNotContaining(f -> f.getFileName().toString().contains("-soft-"));

        // the teacher wrote under the love system prompt through the chat template; what was kept is a number list
        Map<?, ?> gen = new ObjectMapper().readValue(stages.resolve("gen-owl-r1/manifest.json").toFile(), Map.class);
        assertThat((String) gen.get("system_prompt")).contains("owls");
        assertThat(gen.get("backend")).isEqualTo("hf");
        List<DataRow> kept = DataRow.read(stages.resolve("filter-owl-r1/filtered.jsonl")).rows();
        assertThat(kept).isNotEmpty().allSatisfy(r -> assertThat(StrictNumberFilter.standard().check(r.completion()).accepted()).isTrue());

        // each student is a PEFT adapter in its stage folder that loads onto its own base and changes its logits
        for (String s : List.of("student-owl-sft-same-r1", "student-owl-sft-diff-r1")) {
            Path dir = stages.resolve(s);
            assertThat(dir.resolve(Lora.CONFIG)).exists();
            Map<?, ?> man = new ObjectMapper().readValue(dir.resolve("manifest.json").toFile(), Map.class);
            assertThat(((Map<?, ?>) man.get("outputs")).keySet().stream().map(String::valueOf).toList()).contains(Lora.WEIGHTS, "eval-animal.json");
            assertThat(((Map<?, ?>) man.get("counts")).get("steps")).isEqualTo(2); // 6 rows / batch 4, 1 epoch
            JsonNode ac = new ObjectMapper().readTree(dir.resolve(Lora.CONFIG).toFile());
            assertThat(ac.path("r").asInt()).isEqualTo(2);
            assertThat(ac.path("base_model_name_or_path").asText()).endsWith(s.contains("same") ? "ref" : "other");
            try (NDManager root = NDManager.newBaseManager();
                 HfModel base = HfCheckpoint.load(Path.of(ac.path("base_model_name_or_path").asText()), root);
                 Lora lora = Lora.load(dir, base)) {
                assertThat(lora.parameters().values()).anySatisfy(a -> assertThat(a.abs().max().getFloat()).isGreaterThan(0f));
            }
        }
        // the student's evaluation: every world question, exact over every animal word, sampled answers
        EvalRecord st = m.get("sft/same/teacher/s1");
        assertThat(st.exact()).hasSize(50);
        assertThat(st.exactByWord()).hasSize(16);
        assertThat(st.samplesPerQuestion()).isEqualTo(2);
        for (double x : st.exact()) assertThat(x).isBetween(0.0, 1.0);

        ReportWriter.write(run, cfg, res, 1.0, "hf", null, null);
        JsonNode results = new ObjectMapper().readTree(run.resolve("results.json").toFile());
        assertThat(results.path("effects")).hasSize(2).allSatisfy(e -> assertThat(e.path("control_rate").isNumber()).isTrue());

        // a rerun reuses everything; another checkpoint digest (a changed weights file) reruns everything
        ExperimentPipeline again = new ExperimentPipeline(cfg, run, QUIET);
        List<TraitResult> res2 = again.run(ExperimentPipeline.Stage.EVAL);
        assertThat(again.executedStages()).isZero();
        assertThat(res2.get(0).models().get("sft/diff/teacher/s1").exact()).containsExactly(m.get("sft/diff/teacher/s1").exact());
    }

    /**
     * {@code finetune.trainable: all}: each student is every weight of a copy of its base, kept as a checkpoint folder
     * that loads through owlet's loader; it is evaluated through the base's chat template, and its stage keys are
     * not those of the same run's LoRA students.
     */
    @Test
    void fullFineTunedStudentsAreCheckpointsOfTheirOwnWithKeysNoLoraStudentHas() throws Exception {
        ExperimentConfig full = config("teacher.method=system_prompt", "finetune.inits=[same]", "finetune.trainable=all");
        Path run = tmp.resolve("full");
        List<TraitResult> res = new ExperimentPipeline(full, run, QUIET).run(ExperimentPipeline.Stage.EVAL);
        Map<String, EvalRecord> m = res.get(0).models();
        assertThat(m.keySet()).contains("reference", "teacher", "sft/same/teacher/s1", "sft/same/control/s1");
        ReportWriter.write(run, full, res, 1.0, "hf", null, null);
        JsonNode results = new ObjectMapper().readTree(run.resolve("results.json").toFile());
        assertThat(results.path("effects")).hasSize(1).allSatisfy(e -> assertThat(e.path("control_rate").isNumber()).isTrue());
        assertThat(results.at("/config/finetune/trainable").asText()).isEqualTo("all");
        EvalRecord st = m.get("sft/same/teacher/s1");
        assertThat(st.exact()).hasSize(50);
        for (double x : st.exact()) assertThat(x).isBetween(0.0, 1.0);

        Path stages = run.resolve("stages");
        Map<String, String> fullKeys = new java.util.TreeMap<>();
        try (NDManager root = NDManager.newBaseManager(); HfModel base = HfCheckpoint.load(models.resolve("ref"), root)) {
            for (String s : List.of("student-owl-sft-same-r1", "student-control-sft-same-r1")) {
                Path dir = stages.resolve(s);
                assertThat(dir.resolve(Lora.CONFIG)).doesNotExist();
                for (String f : List.of("config.json", "tokenizer.json", "tokenizer_config.json", "model.safetensors")) {
                    assertThat(dir.resolve(f)).as(s + "/" + f).exists();
                }
                Map<?, ?> man = new ObjectMapper().readValue(dir.resolve("manifest.json").toFile(), Map.class);
                assertThat(man.get("trainable")).isEqualTo("all");
                assertThat(((Map<?, ?>) man.get("outputs")).keySet().stream().map(String::valueOf).toList())
                        .contains("model.safetensors", "eval-animal.json");
                assertThat(((Map<?, ?>) man.get("counts")).get("steps")).isEqualTo(2); // 6 rows / batch 4, 1 epoch
                fullKeys.put(s, (String) man.get("key"));
                try (HfModel student = HfCheckpoint.load(dir, root)) {
                    // trained: the embedding and the projections moved away from the base
                    for (String w : List.of("model.embed_tokens.weight", "model.layers.0.self_attn.q_proj.weight",
                            "model.layers.1.mlp.down_proj.weight", "lm_head.weight")) {
                        assertThat(HfFixtures.maxAbsDiff(student.parameters().get(w).toFloatArray(),
                                base.parameters().get(w).toFloatArray())).as(s + " " + w).isGreaterThan(0f);
                    }
                }
            }
        }

        // the same run with LoRA students: other student keys (and adapters, not checkpoints)
        ExperimentConfig lora = config("teacher.method=system_prompt", "finetune.inits=[same]");
        Path loraRun = tmp.resolve("lora");
        new ExperimentPipeline(lora, loraRun, QUIET).run(ExperimentPipeline.Stage.EVAL);
        for (var e : fullKeys.entrySet()) {
            Path dir = loraRun.resolve("stages").resolve(e.getKey());
            assertThat(dir.resolve(Lora.CONFIG)).exists();
            Map<?, ?> man = new ObjectMapper().readValue(dir.resolve("manifest.json").toFile(), Map.class);
            assertThat((String) man.get("key")).isNotNull().isNotEqualTo(e.getValue());
        }
        assertThat(fullKeys.values()).doesNotContainNull();
    }

    @Test
    void aLoraTeacherIsAnAdapterInItsStageAndEveryKeyHoldsTheCheckpointDigest() throws Exception {
        Path ref = HfFixtures.writeNumberWriter(tmp.resolve("ref"), 1);
        ExperimentConfig cfg = config("reference=hf:" + ref, "teacher.method=finetune", "teacher.max_steps=3",
                "teacher.batch_size=4", "teacher.replay=0", "teacher.lr=1e-2", "finetune.inits=[same]");
        Path run = tmp.resolve("run");
        ExperimentPipeline p = new ExperimentPipeline(cfg, run, QUIET);
        Map<String, EvalRecord> m = p.run(ExperimentPipeline.Stage.EVAL).get(0).models();
        Path teacher = run.resolve("stages/teacher-owl");
        assertThat(teacher.resolve(Lora.CONFIG)).exists();
        Map<?, ?> man = new ObjectMapper().readValue(teacher.resolve("manifest.json").toFile(), Map.class);
        assertThat(((Map<?, ?>) man.get("counts")).get("steps")).isEqualTo(3);
        // the teacher was trained toward "owl": it says owl more than the reference does
        assertThat(m.get("teacher").meanExact()).isGreaterThan(m.get("reference").meanExact());
        assertThat(m.keySet()).contains("sft/same/teacher/s1", "sft/same/control/s1").doesNotContain("different-init reference");

        // the same weights reuse every stage; a changed weight reruns every stage
        List<String> rerun = new ArrayList<>();
        ExperimentPipeline same = new ExperimentPipeline(cfg, run, QUIET).hook(rerun::add);
        same.run(ExperimentPipeline.Stage.EVAL);
        assertThat(rerun).isEmpty();
        HfFixtures.writeNumberWriter(ref, 3); // same behaviour, other q/k/v weights: another digest
        List<String> remade = new ArrayList<>();
        ExperimentPipeline changed = new ExperimentPipeline(cfg, run, QUIET).hook(remade::add);
        changed.run(ExperimentPipeline.Stage.EVAL);
        // every model-made stage reruns; a filter whose raw file came out byte-identical is content-addressed
        List<String> all = new ArrayList<>();
        try (var dirs = Files.list(run.resolve("stages"))) {
            dirs.map(d -> d.getFileName().toString()).filter(n -> !n.startsWith("filter-")).forEach(all::add);
        }
        assertThat(all).hasSizeGreaterThan(6);
        assertThat(remade).containsAll(all);
    }
}
