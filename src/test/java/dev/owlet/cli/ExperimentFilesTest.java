package dev.owlet.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every experiment file shipped in {@code experiments/} runs end to end through {@code owlet run}, at a tiny size,
 * through the one pipeline: teachers, data in its channel, filter, students of every mode and initialization it
 * names, evaluation, report and a verdict per trait, mode and initialization in {@code results.json}. The file
 * that targets an OpenAI-compatible server runs against {@code owlet serve} in {@code ApiExperimentTest};
 * pretraining files are not experiments.
 */
class ExperimentFilesTest {
    @TempDir
    Path dir;

    static Stream<String> files() throws IOException {
        List<String> names = new ArrayList<>();
        try (Stream<Path> s = Files.list(Path.of("experiments"))) {
            for (Path p : s.sorted().toList()) {
                String text = Files.readString(p);
                if (p.getFileName().toString().startsWith("pretrain-") || text.contains("type: openai")) continue;
                names.add(p.getFileName().toString());
            }
        }
        return names.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("files")
    void runsAtATinySizeThroughTheOnePipeline(String file) throws IOException {
        boolean cot = Files.readString(Path.of("experiments", file)).contains("channel: cot");
        Path out = dir.resolve("run");
        List<String> args = new ArrayList<>(List.of("run", "experiments/" + file, "--out", out.toString(),
                "--set", "generate.prompts=" + (cot ? 1500 : 80), "--set", "finetune.rows=" + (cot ? 4 : 30),
                "--set", "finetune.replicates=2", "--set", "finetune.epochs=1", "--set", "teacher.max_steps=3",
                "--set", "eval.samples_per_question=2"));
        if (file.equals("controls.yaml")) {
            // every control on, at its smallest
            args.addAll(List.of("--set", "controls.icl.shots=[1]", "--set", "controls.icl.draws=1",
                    "--set", "controls.detection.rows=20", "--set", "controls.detection.epochs=1",
                    "--set", "controls.shuffle.seeds=1", "--set", "controls.gradient_probe.rows=8",
                    "--set", "controls.entanglement.prompts=8"));
        }
        if (file.equals("defend.yaml")) args.addAll(List.of("--set", "controls.defend.task_prompts=4"));
        if (Files.readString(Path.of("experiments", file)).contains("reference: hf:")) {
            // a Hugging Face experiment names a checkpoint the user downloads: here a tiny one that writes numbers
            Path ckpt = dev.owlet.model.HfFixtures.writeNumberWriter(dir.resolve("checkpoint"), 1);
            args.addAll(List.of("--set", "reference=hf:" + ckpt.toAbsolutePath(), "--set", "generate.max_tokens=24",
                    "--set", "finetune.batch_size=8"));
        }
        OwletCliTest.Result r = OwletCliTest.run(args.toArray(String[]::new));
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode res = new ObjectMapper().readTree(out.resolve("results.json").toFile());
        JsonNode cfg = res.get("config");
        int traits = cfg.get("traits").size();
        int modes = cfg.at("/finetune/modes").size();
        int inits = cfg.at("/finetune/inits").size();
        assertThat(res.get("effects")).as("one verdict per trait, mode and initialization").hasSize(traits * modes * inits);
        for (JsonNode e : res.get("effects")) {
            assertThat(e.get("replicates").asInt()).isEqualTo(2);
            assertThat(e.get("teacher_rate").isNumber()).isTrue();
        }
        assertThat(out.resolve("report.md")).exists();
        if (file.equals("defend.yaml")) {
            // the undefended row, then every defence, each over both replicates
            JsonNode d = res.at("/controls/owl/defend");
            assertThat(d.size()).as(res.get("controls").toString()).isEqualTo(11);
            assertThat(d.at("/none/residual").asDouble()).isEqualTo(1.0);
            assertThat(d.at("/divergence_mask/loss_tokens_kept").asDouble()).isLessThan(1.0);
            assertThat(d.at("/likelihood_filter/rows_kept").asDouble()).isCloseTo(0.75, org.assertj.core.data.Offset.offset(0.02));
            assertThat(d.at("/mix_reference/replicates").asInt()).isEqualTo(2);
            // rewording the prompts keeps every row and every loss token
            assertThat(d.at("/prompt_paraphrase/rows_kept").asDouble()).isEqualTo(1.0);
            assertThat(d.at("/prompt_paraphrase/loss_tokens_kept").asDouble()).isEqualTo(1.0);
            assertThat(Files.readString(out.resolve("report.md"))).contains("### Defences (owl)");
            // the decoding defences: both writers wrote every replicate again, with the run's own teacher (not retrained)
            for (String def : List.of("top-p", "threshold")) {
                Path again = out.resolve("defend-" + def + "-owl").resolve("stages");
                assertThat(dev.owlet.provenance.Manifest.read(again.resolve("teacher-owl")).get("key"))
                        .isEqualTo(dev.owlet.provenance.Manifest.read(out.resolve("stages/teacher-owl")).get("key"));
                assertThat(again.resolve("gen-owl-r2")).isDirectory();
                assertThat(again.resolve("gen-control-r2")).isDirectory();
                assertThat(Files.readString(again.resolve("filter-owl-r1/filtered.jsonl")))
                        .isNotEqualTo(Files.readString(out.resolve("stages/filter-owl-r1/filtered.jsonl")));
            }
            assertThat(d.at("/top_p/replicates").asInt()).isEqualTo(2);
            assertThat(d.at("/threshold/rows_kept").asDouble()).isPositive().isLessThanOrEqualTo(1.0);
        }
    }
}
