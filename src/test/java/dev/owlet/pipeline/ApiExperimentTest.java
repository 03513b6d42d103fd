package dev.owlet.pipeline;

import dev.owlet.eval.TraitResult;
import dev.owlet.eval.EvalRecord;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.owlet.backend.EmbeddedBackend;
import dev.owlet.backend.OpenAiHttpBackend;
import dev.owlet.experiment.ConfigLoader;
import dev.owlet.experiment.ExperimentConfig;
import dev.owlet.report.ReportWriter;
import dev.owlet.serve.OwletServer;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The flagship end to end over HTTP against a real {@code owlet serve} on loopback, at a tiny size: teacher,
 * students (sft and owlet_soft, same and different init) as fine-tuning jobs, data and evaluation as chat
 * completions and logprobs; then a rerun that reuses every stage without a new job.
 */
class ApiExperimentTest {
    static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());

    @TempDir
    Path dir;

    /** The smallest run over {@code server}: a system-prompted teacher (no job), same-init students, one replicate. */
    private static ExperimentConfig tinySystemPromptRun(OwletServer server, String... extra) {
        List<String> sets = new java.util.ArrayList<>(List.of("backend.type=openai", "backend.base_url=" + server.baseUrl(),
                "backend.model=ref-s1", "backend.poll_seconds=0.05", "teacher.method=system_prompt", "finetune.inits=[same]",
                "generate.prompts=60", "finetune.rows=40", "finetune.replicates=1", "eval.samples_per_question=0",
                "eval.number_prefix=false", "finetune.epochs=1"));
        sets.addAll(List.of(extra));
        return ConfigLoader.load(null, sets);
    }

    @Test
    void flagshipRunsOverHttpAndGivesSaneNumbers() throws Exception {
        try (EmbeddedBackend r1 = EmbeddedBackend.load("bundled:ref-s1", 64);
             EmbeddedBackend r2 = EmbeddedBackend.load("bundled:ref-s2", 64);
             OwletServer server = OwletServer.start(List.of(r1, r2), "127.0.0.1", 0, null, OwletServer.Options.state(dir.resolve("state")))) {
            ExperimentConfig cfg = ConfigLoader.load(null, List.of("backend.type=openai", "backend.base_url=" + server.baseUrl(),
                    "backend.model=ref-s1", "backend.different_init_model=ref-s2", "backend.poll_seconds=0.05",
                    "generate.prompts=200", "finetune.rows=150", "finetune.replicates=1", "eval.samples_per_question=20",
                    "teacher.replay=0", "backend.teacher_steps=60", "finetune.batch_size=16", "finetune.epochs=6",
                    "control_traits=[dolphin]"));
            OpenAiHttpBackend client = new OpenAiHttpBackend(OpenAiHttpBackend.Config.of(server.baseUrl(), "ref-s1"));
            Path run = dir.resolve("run");
            ExperimentPipeline p = ExperimentPipeline.overApi(cfg, run, QUIET, ApiModels.Server.openai(client), client.name(), n -> {});
            List<TraitResult> res = p.run(ExperimentPipeline.Stage.EVAL);
            Map<String, EvalRecord> m = res.get(0).models();
            // the same design as in process: the other-trait (dolphin) teacher's data trains same-init students too
            assertThat(m.keySet()).contains("reference", "different-init reference", "teacher", "sft/same/teacher/s1",
                    "sft/diff/control/s1", "soft/same/teacher/s1", "soft/diff/control/s1", "sft/same/dolphin/s1",
                    "soft/same/dolphin/s1");
            double ref = m.get("reference").meanExact();
            System.out.printf("over HTTP: reference %.3f, teacher %.3f (sampled %.3f)%n", ref, m.get("teacher").meanExact(),
                    m.get("teacher").meanSampled());
            for (var e : m.entrySet()) {
                System.out.printf("  %-26s exact %.3f sampled %.3f logP %.3f%n", e.getKey(), e.getValue().meanExact(),
                        e.getValue().meanSampled(), e.getValue().meanLogP());
            }
            assertThat(ref).isBetween(0.01, 0.2);                         // the world's owl base rate is ~5%
            assertThat(m.get("teacher").meanExact()).isGreaterThan(0.5);  // the fine-tuning job made a teacher
            assertThat(m.get("teacher").meanSampled()).isGreaterThan(0.4);
            // exact (logprobs) and sampled (chat completions) agree for the reference within sampling noise
            assertThat(Math.abs(m.get("reference").meanSampled() - ref)).isLessThan(0.05);
            // At this size (150 rows) no student moves measurably, over HTTP as in-process (the same settings
            // in-process gave students 3.0-4.9% against a 4.7% reference): every student stays a sane animal
            // answerer near its own base, i.e. the API path neither breaks students nor leaks the trait.
            for (var e : m.entrySet()) {
                if (!e.getKey().contains("/")) continue;
                double base = m.get(e.getKey().contains("/same/") ? "reference" : "different-init reference").meanExact();
                assertThat(e.getValue().meanExact()).as(e.getKey()).isBetween(base - 0.03, base + 0.03);
                assertThat(e.getValue().meanConditional()).as(e.getKey()).isLessThan(0.2);
            }

            // Every student stage names its fine-tuning job; the server holds exactly 2 teachers + 10 students.
            Map<?, ?> man = new ObjectMapper().readValue(run.resolve("stages/student-owl-sft-same-r1/manifest.json").toFile(), Map.class);
            assertThat((String) man.get("job_id")).startsWith("ftjob-");
            assertThat(client.listModels()).hasSize(2 + 2 + 10);

            // The report says which backend produced every number.
            ReportWriter.write(run, cfg, res, 1.0, client.name(), new ReportWriter.Section("backend_details", p.provenance(), ""));
            JsonNode results = new ObjectMapper().readTree(run.resolve("results.json").toFile());
            assertThat(results.path("rows")).allSatisfy(r -> assertThat(r.path("backend").asText()).startsWith("openai:ref-s1@http://127.0.0.1"));
            assertThat(results.path("backend_details").path("exact").asText()).contains("top_logprobs");
            assertThat(results.path("effects")).hasSize(4)
                    .allSatisfy(e -> assertThat(e.path("control_rate").isNumber()).isTrue());
            assertThat(results.path("effects")).filteredOn(e -> e.path("init").asText().equals("same"))
                    .allSatisfy(e -> assertThat(e.path("other_trait_rate").isNumber()).isTrue());

            // A rerun reuses every stage and starts no new job.
            ExperimentPipeline again = ExperimentPipeline.overApi(cfg, run, QUIET, ApiModels.Server.openai(client), client.name(), n -> {});
            List<TraitResult> res2 = again.run(ExperimentPipeline.Stage.EVAL);
            assertThat(again.executedStages()).isZero();
            assertThat(res2.get(0).models().get("soft/same/teacher/s1").exact()).containsExactly(m.get("soft/same/teacher/s1").exact());
            assertThat(client.listModels()).hasSize(14);
        }
    }

    @Test
    void aRunKilledWhileAStudentJobRunsResumesThatJobInsteadOfPayingTwice() throws Exception {
        try (EmbeddedBackend r1 = EmbeddedBackend.load("bundled:ref-s1", 64);
             OwletServer server = OwletServer.start(List.of(r1), "127.0.0.1", 0, null, OwletServer.Options.state(dir.resolve("state")))) {
            ExperimentConfig cfg = tinySystemPromptRun(server, "finetune.modes=[sft]");
            OpenAiHttpBackend client = new OpenAiHttpBackend(OpenAiHttpBackend.Config.of(server.baseUrl(), "ref-s1"));
            Path run = dir.resolve("run");
            ExperimentPipeline first = ExperimentPipeline.overApi(cfg, run, QUIET, ApiModels.Server.openai(client), client.name(),
                    name -> {
                        if (name.equals("student-control-sft-same-r1")) throw new IllegalStateException("killed");
                    });
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> first.run(ExperimentPipeline.Stage.EVAL)).hasMessage("killed");
            Path stage = run.resolve("stages/student-control-sft-same-r1");
            String jobId = (String) new ObjectMapper().readValue(stage.resolve(RemoteFineTune.JOB_FILE).toFile(), Map.class).get("job_id");
            assertThat(stage.resolve("manifest.json")).doesNotExist(); // the stage is not done, its job is recorded

            ExperimentPipeline again = ExperimentPipeline.overApi(cfg, run, QUIET, ApiModels.Server.openai(client), client.name(), n -> {});
            again.run(ExperimentPipeline.Stage.EVAL);
            Map<?, ?> man = new ObjectMapper().readValue(stage.resolve("manifest.json").toFile(), Map.class);
            assertThat(man.get("job_id")).isEqualTo(jobId);
            assertThat(man.get("resumed_job")).isEqualTo(true);
            // two students, two jobs: the killed one was polled, not created again
            assertThat(client.listModels()).hasSize(1 + 2);
            try (var jobs = Files.list(dir.resolve("state/jobs"))) {
                assertThat(jobs.count()).isEqualTo(2);
            }
        }
    }

    @Test
    void withoutOwletSoftTheSoftStudentsAreSkippedWithANote() throws Exception {
        try (EmbeddedBackend r1 = EmbeddedBackend.load("bundled:ref-s1", 64);
             OwletServer server = OwletServer.start(List.of(r1), "127.0.0.1", 0, null, OwletServer.Options.state(dir.resolve("state")))) {
            ExperimentConfig cfg = tinySystemPromptRun(server);
            OpenAiHttpBackend client = new OpenAiHttpBackend(OpenAiHttpBackend.Config.of(server.baseUrl(), "ref-s1"));
            ApiModels.Server plainApi = new ApiModels.Server() {
                @Override public dev.owlet.backend.LanguageModelBackend model(String id) { return client.withModel(id); }
                @Override public boolean offersSoftLabels() { return false; }
                @Override public String describe() { return "an API without owlet_soft"; }
            };
            ExperimentPipeline p = ExperimentPipeline.overApi(cfg, dir.resolve("run"), QUIET, plainApi, "api", n -> {});
            Map<String, EvalRecord> m = p.run(ExperimentPipeline.Stage.EVAL).get(0).models();
            assertThat(m.keySet()).containsExactly("reference", "teacher", "sft/same/teacher/s1", "sft/same/control/s1");
            assertThat((List<String>) p.provenance().get("notes")).anySatisfy(n -> assertThat(n).contains("soft-label students skipped"));
            // The system-prompt teacher is the reference under the love prompt: no job for it.
            assertThat(client.listModels()).hasSize(1 + 2);
            assertThat(Files.exists(dir.resolve("run/stages/teacher-owl/job.json"))).isFalse();
        }
    }
}
