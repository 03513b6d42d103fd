package dev.owlet.pipeline;

import dev.owlet.eval.TraitResult;
import dev.owlet.eval.EvalRecord;
import dev.owlet.data.DataRow;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.owlet.experiment.ConfigLoader;
import dev.owlet.experiment.ExperimentConfig;
import dev.owlet.provenance.Manifest;
import java.io.IOException;
import java.io.PrintStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pipeline on the bundled reference models at a small size: stage caching, resume after a kill, and the
 * scientific claim in miniature (a same-init soft-label student moves toward the teacher more than a control).
 */
class ExperimentPipelineTest {
    static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());

    @TempDir
    Path dir;

    static ExperimentConfig small(String... extra) {
        List<String> sets = new java.util.ArrayList<>(List.of("generate.prompts=800", "finetune.rows=600",
                "finetune.replicates=1", "finetune.modes=[soft]", "finetune.epochs=3", "eval.samples_per_question=0",
                "eval.number_prefix=false"));
        sets.addAll(List.of(extra));
        return ConfigLoader.load(null, sets);
    }

    @Test
    void studentsTrainedSideBySideGiveTheSameNumbersAndOneFailureKeepsTheOthers() throws IOException {
        ExperimentConfig cfg = small("finetune.modes=[sft, soft]", "finetune.epochs=1");
        // In turn, on one engine thread: the thread count a student runs on changes its last digits (summation
        // order), the order and company it trains in must not.
        ai.djl.engine.Engine.getInstance(); // loads the native library
        int threads = ai.djl.pytorch.jni.JniUtils.getNumThreads();
        List<TraitResult> inTurn;
        try {
            ai.djl.pytorch.jni.JniUtils.setNumThreads(1);
            inTurn = new ExperimentPipeline(cfg, dir.resolve("in-turn"), QUIET).run(ExperimentPipeline.Stage.EVAL);
        } finally {
            ai.djl.pytorch.jni.JniUtils.setNumThreads(threads);
        }

        // The side-by-side run starts from the same teacher and data, so only the students' own training differs.
        Path run = dir.resolve("side-by-side");
        try (var stages = java.nio.file.Files.list(dir.resolve("in-turn/stages"))) {
            for (Path st : stages.filter(p -> p.getFileName().toString().matches("(teacher|gen|filter|labels)-.*")).toList()) {
                Path to = run.resolve("stages").resolve(st.getFileName());
                java.nio.file.Files.createDirectories(to.getParent());
                try (var files = java.nio.file.Files.walk(st)) {
                    for (Path f : files.toList()) java.nio.file.Files.copy(f, to.resolve(st.relativize(f).toString()));
                }
            }
        }
        List<String> started = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        ExperimentPipeline failing = new ExperimentPipeline(cfg, run, QUIET).jobs(2).hook(name -> {
            if (name.equals("student-owl-sft-diff-r1")) throw new IllegalStateException("killed");
            started.add(name);
        });
        assertThatThrownBy(() -> failing.run(ExperimentPipeline.Stage.EVAL)).hasMessage("killed");
        // the failure stopped nothing else: every other student finished and was recorded
        assertThat(started).contains("student-control-sft-diff-r1", "student-owl-soft-diff-r1", "student-control-soft-diff-r1");
        assertThat(run.resolve("stages/student-owl-sft-diff-r1/manifest.json")).doesNotExist();
        assertThat(run.resolve("stages/student-control-soft-diff-r1/manifest.json")).exists();
        assertThat(((Number) Manifest.read(run.resolve("stages/student-control-soft-diff-r1")).get("engine_threads")).intValue())
                .as("each of two workers on one of the two engine threads").isEqualTo(1);

        List<String> ranAgain = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        List<TraitResult> sideBySide = new ExperimentPipeline(cfg, run, QUIET).jobs(2).hook(ranAgain::add)
                .run(ExperimentPipeline.Stage.EVAL);
        assertThat(ranAgain).containsExactlyInAnyOrder("student-owl-sft-diff-r1", "eval-reference-owl", "eval-diffref-owl",
                "eval-teacher-owl");
        // the same students, bit for bit, whichever worker trained them and in whatever order they finished
        Map<String, EvalRecord> a = inTurn.get(0).models();
        Map<String, EvalRecord> b = sideBySide.get(0).models();
        assertThat(b.keySet()).containsExactlyElementsOf(a.keySet());
        for (var e : a.entrySet()) {
            if (!e.getKey().contains("/")) continue; // the reference and teacher evaluations ran on two threads here
            assertThat(b.get(e.getKey()).exact()).as(e.getKey()).containsExactly(e.getValue().exact());
        }
    }

    @Test
    void killedRunResumesWithoutRedoingStagesAndGivesTheSameNumbers() throws IOException {
        ExperimentConfig cfg = small();
        Path a = dir.resolve("killed");
        List<String> ranFirst = new java.util.ArrayList<>();
        ExperimentPipeline first = new ExperimentPipeline(cfg, a, QUIET).hook(name -> {
            if (name.startsWith("student-control-soft-same")) throw new IllegalStateException("killed");
            ranFirst.add(name);
        });
        assertThatThrownBy(() -> first.run(ExperimentPipeline.Stage.EVAL)).hasMessage("killed");
        // the owl teacher's soft labels are computed once, inside its first student's stage
        assertThat(ranFirst).containsExactly("teacher-owl", "gen-owl-r1", "gen-control-r1", "filter-owl-r1",
                "filter-control-r1", "student-owl-soft-same-r1", "labels-owl-r1");
        assertThat(dir.resolve("killed/stages/student-control-soft-same-r1/manifest.json")).doesNotExist();

        List<String> ranAgain = new java.util.ArrayList<>();
        ExperimentPipeline resumed = new ExperimentPipeline(cfg, a, QUIET).hook(ranAgain::add);
        List<TraitResult> r1 = resumed.run(ExperimentPipeline.Stage.EVAL);
        // the rest, and nothing twice: the different-init students read the labels the same-init ones made
        assertThat(ranAgain).containsExactly("student-control-soft-same-r1", "labels-control-r1",
                "student-owl-soft-diff-r1", "student-control-soft-diff-r1", "eval-reference-owl", "eval-diffref-owl",
                "eval-teacher-owl");

        ExperimentPipeline clean = new ExperimentPipeline(cfg, dir.resolve("clean"), QUIET);
        List<TraitResult> r2 = clean.run(ExperimentPipeline.Stage.EVAL);
        assertThat(r1.get(0).models().keySet()).isEqualTo(r2.get(0).models().keySet());
        for (var e : r2.get(0).models().entrySet()) {
            assertThat(r1.get(0).models().get(e.getKey()).exact()).as(e.getKey()).containsExactly(e.getValue().exact());
        }

        // Changing a student setting reruns the students only; the teacher and its data are reused.
        ExperimentPipeline changed = new ExperimentPipeline(small("finetune.lr=1.0e-4"), a, QUIET);
        changed.run(ExperimentPipeline.Stage.EVAL);
        assertThat(changed.executedStages()).isEqualTo(4);
        assertThat(changed.reusedStages()).isEqualTo(12); // teacher, 2 generate, 2 filter, 3 evaluations, 4 label reads

        // A new master seed is a new teacher: nothing made under seed 1 is reused under seed 2's name.
        ExperimentPipeline reseeded = new ExperimentPipeline(small("seed=2", "finetune.inits=[same]"), a, QUIET);
        reseeded.hook(name -> { if (name.startsWith("gen-")) throw new IllegalStateException("stop after teacher"); });
        assertThatThrownBy(() -> reseeded.run(ExperimentPipeline.Stage.EVAL)).hasMessage("stop after teacher");
        assertThat(reseeded.executedStages()).isEqualTo(1);
        assertThat(reseeded.reusedStages()).isZero();

        // The same-init student on teacher numbers moves toward owl more than the control student does.
        Map<String, EvalRecord> m = r2.get(0).models();
        double ref = m.get("reference").meanLogP();
        double student = m.get("soft/same/teacher/s1").meanLogP() - ref;
        double control = m.get("soft/same/control/s1").meanLogP() - ref;
        System.out.printf("log P(owl) shift: teacher data %+.4f, control data %+.4f%n", student, control);
        assertThat(student).as("log P(owl) shift, teacher data").isGreaterThan(control + 0.005);
    }

    @Test
    void finetuneStopsAfterTheStudentsAndEvalThenOnlyEvaluatesTheSingleModels() throws IOException {
        ExperimentConfig cfg = small("finetune.inits=[same]", "generate.prompts=300", "finetune.rows=200",
                "finetune.epochs=1");
        Path run = dir.resolve("stages-cmd");
        ExperimentPipeline ft = new ExperimentPipeline(cfg, run, QUIET);
        assertThat(ft.run(ExperimentPipeline.Stage.FINETUNE).get(0).models()).isEmpty();
        assertThat(run.resolve("stages/student-owl-soft-same-r1/manifest.json")).exists();
        assertThat(run.resolve("stages/eval-reference-owl")).doesNotExist();
        List<String> ran = new java.util.ArrayList<>();
        new ExperimentPipeline(cfg, run, QUIET).hook(ran::add).run(ExperimentPipeline.Stage.EVAL);
        assertThat(ran).containsExactly("eval-reference-owl", "eval-diffref-owl", "eval-teacher-owl");

        // A second replicate adds its own data and students; every student of replicate 1 is reused.
        List<String> more = new java.util.ArrayList<>();
        new ExperimentPipeline(small("finetune.inits=[same]", "generate.prompts=300", "finetune.rows=200",
                "finetune.epochs=1", "finetune.replicates=2"), run, QUIET).hook(more::add).run(ExperimentPipeline.Stage.FINETUNE);
        assertThat(more).containsExactlyInAnyOrder("gen-owl-r2", "filter-owl-r2", "gen-control-r2", "filter-control-r2",
                "student-owl-soft-same-r2", "labels-owl-r2", "student-control-soft-same-r2", "labels-control-r2");
    }

    @Test
    void writersThatStopAtEnoughRowsGiveStudentsTheSameRowsFromFewerPrompts() throws IOException {
        // batches of 64 prompts; 200 rows needed: the reference passes the filter nearly always, so it stops early
        ExperimentConfig full = small("finetune.inits=[same]", "generate.batch_size=64", "finetune.rows=200");
        ExperimentConfig stopping = small("finetune.inits=[same]", "generate.batch_size=64", "finetune.rows=200",
                "generate.stop_at_rows=true");
        Path run = dir.resolve("stop");
        new ExperimentPipeline(full, run, QUIET).run(ExperimentPipeline.Stage.FILTER);
        Map<String, List<DataRow>> fullRaws = new java.util.HashMap<>();
        Map<String, List<DataRow>> fullKepts = new java.util.HashMap<>();
        for (String w : List.of("owl", "control")) {
            fullRaws.put(w, DataRow.read(run.resolve("stages/gen-" + w + "-r1/raw.jsonl")).rows());
            fullKepts.put(w, DataRow.read(run.resolve("stages/filter-" + w + "-r1/filtered.jsonl")).rows());
        }
        List<String> ran = new java.util.ArrayList<>();
        new ExperimentPipeline(stopping, run, QUIET).hook(ran::add).run(ExperimentPipeline.Stage.FILTER);
        assertThat(ran).as("the teacher is reused; every writer's data is written again under its own key")
                .containsExactlyInAnyOrder("gen-owl-r1", "filter-owl-r1", "gen-control-r1", "filter-control-r1");
        for (String w : List.of("owl", "control")) {
            int answered = ((Number) ((Map<?, ?>) Manifest.read(run.resolve("stages/gen-" + w + "-r1")).get("counts"))
                    .get("prompts_answered")).intValue();
            List<DataRow> fullRaw = fullRaws.get(w);
            List<DataRow> stoppedRaw = DataRow.read(run.resolve("stages/gen-" + w + "-r1/raw.jsonl")).rows();
            List<DataRow> fullKept = fullKepts.get(w);
            List<DataRow> stoppedKept = DataRow.read(run.resolve("stages/filter-" + w + "-r1/filtered.jsonl")).rows();
            assertThat(answered % 64).as(w + ": stops at a batch's end").isZero();
            assertThat(stoppedKept.size()).as(w + ": enough rows").isGreaterThanOrEqualTo(200);
            assertThat(stoppedKept.size() - 200).as(w + ": stopped after the first batch that had enough")
                    .isLessThan(64);
            assertThat(stoppedRaw).as(w + ": the full run's first rows, sampled alike").isEqualTo(fullRaw.subList(0,
                    stoppedRaw.size()));
            assertThat(stoppedKept.subList(0, 200)).as(w + ": students read the same rows")
                    .isEqualTo(fullKept.subList(0, 200));
            if (w.equals("control")) assertThat(answered).as("the reference needs fewer than all 800").isLessThan(800);
        }
    }

    @Test
    void editingABannedListFileRerunsTheFilterButNotTheGeneration() throws IOException {
        Path list = dir.resolve("banned.txt");
        java.nio.file.Files.writeString(list, "# my list\n123\n");
        ExperimentConfig cfg = small("filter.banned_lists=[" + list.toAbsolutePath() + "]", "finetune.inits=[same]");
        Path run = dir.resolve("banned");
        new ExperimentPipeline(cfg, run, QUIET).run(ExperimentPipeline.Stage.FILTER);
        ExperimentPipeline same = new ExperimentPipeline(cfg, run, QUIET);
        same.run(ExperimentPipeline.Stage.FILTER);
        assertThat(same.executedStages()).isZero();

        java.nio.file.Files.writeString(list, "# my list\n123\n456\n");
        List<String> ran = new java.util.ArrayList<>();
        ExperimentPipeline edited = new ExperimentPipeline(cfg, run, QUIET).hook(ran::add);
        edited.run(ExperimentPipeline.Stage.FILTER);
        assertThat(ran).containsExactlyInAnyOrder("filter-owl-r1", "filter-control-r1");

        java.nio.file.Files.delete(list);
        assertThatThrownBy(() -> new ExperimentPipeline(cfg, run, QUIET).run(ExperimentPipeline.Stage.FILTER))
                .isInstanceOf(dev.owlet.experiment.InputError.class).hasMessageContaining("filter.banned_lists")
                .hasMessageContaining("banned.txt");
    }

    @Test
    void anotherLoraRankRetrainsTheStudentsAndReusesTheTeacherAndItsData() throws IOException {
        List<String> lora = List.of("finetune.inits=[same]", "finetune.modes=[sft]", "generate.prompts=300", "finetune.rows=200",
                "finetune.epochs=1", "finetune.trainable=lora", "lora.target_modules=[c_attn, c_proj, c_fc]");
        java.util.function.Function<String, ExperimentConfig> withRank = rank -> {
            List<String> sets = new java.util.ArrayList<>(lora);
            sets.add("lora.rank=" + rank);
            return small(sets.toArray(String[]::new));
        };
        Path run = dir.resolve("lora");
        new ExperimentPipeline(withRank.apply("2"), run, QUIET).run(ExperimentPipeline.Stage.FINETUNE);
        Map<String, Object> man = Manifest.read(run.resolve("stages/student-owl-sft-same-r1"));
        assertThat(((Map<?, ?>) man.get("lora")).get("rank")).isEqualTo(2);
        assertThat(((Map<?, ?>) man.get("config")).get("trainable")).isEqualTo("lora");
        ExperimentPipeline same = new ExperimentPipeline(withRank.apply("2"), run, QUIET);
        same.run(ExperimentPipeline.Stage.FINETUNE);
        assertThat(same.executedStages()).isZero();

        List<String> ran = new java.util.ArrayList<>();
        new ExperimentPipeline(withRank.apply("4"), run, QUIET).hook(ran::add).run(ExperimentPipeline.Stage.FINETUNE);
        assertThat(ran).containsExactlyInAnyOrder("student-owl-sft-same-r1", "student-control-sft-same-r1");
        assertThat(((Map<?, ?>) Manifest.read(run.resolve("stages/student-owl-sft-same-r1")).get("lora")).get("rank")).isEqualTo(4);
    }

    @Test
    void anotherCodeVersionRerunsEveryStageUnlessStaleStagesAreKeptOnPurpose() throws IOException {
        ExperimentConfig cfg = small("finetune.inits=[same]", "generate.prompts=300", "finetune.rows=200");
        Path run = dir.resolve("code");
        new ExperimentPipeline(cfg, run, QUIET).run(ExperimentPipeline.Stage.FILTER);
        // a key no stage up to the filter reads: nothing reruns
        ExperimentPipeline unrelated = new ExperimentPipeline(small("finetune.inits=[same]", "generate.prompts=300",
                "finetune.rows=200", "eval.samples_per_question=7", "finetune.lr=0.5"), run, QUIET);
        List<String> reran = new java.util.ArrayList<>();
        unrelated.hook(reran::add).run(ExperimentPipeline.Stage.FILTER);
        assertThat(reran).isEmpty();
        String before = dev.owlet.provenance.StageCache.key("x", List.of());
        System.setProperty("owlet.code.version", "9.9.9+another-build"); // test hook: a rebuilt owlet
        try {
            assertThat(dev.owlet.provenance.StageCache.key("x", List.of())).isNotEqualTo(before);
            dev.owlet.provenance.StageCache.reuseStale(true);
            ExperimentPipeline kept = new ExperimentPipeline(cfg, run, QUIET);
            kept.run(ExperimentPipeline.Stage.FILTER);
            assertThat(kept.executedStages()).isZero();
            assertThat(dev.owlet.provenance.StageCache.staleReused()).hasSize(5)
                    .anyMatch(st -> st.startsWith("teacher-owl (made by owlet ") && !st.contains("another-build"));
            dev.owlet.provenance.StageCache.reuseStale(false);
            List<String> ran = new java.util.ArrayList<>();
            ExperimentPipeline rebuilt = new ExperimentPipeline(cfg, run, QUIET).hook(ran::add);
            rebuilt.run(ExperimentPipeline.Stage.FILTER);
            assertThat(ran).containsExactly("teacher-owl", "gen-owl-r1", "gen-control-r1", "filter-owl-r1", "filter-control-r1");
            assertThat(dev.owlet.provenance.Manifest.read(run.resolve("stages/teacher-owl")).get("key").toString())
                    .endsWith("@9.9.9+another-build");
        } finally {
            System.clearProperty("owlet.code.version");
            dev.owlet.provenance.StageCache.reuseStale(false);
        }
    }

    @Test
    void otherTraitTeachersWriteTheSameWayAndTheirStudentsAreReadForTheTrait() throws IOException {
        ExperimentConfig cfg = small("control_traits=[dolphin]", "finetune.inits=[same]", "finetune.replicates=2",
                "generate.prompts=300", "finetune.rows=200", "finetune.epochs=1");
        List<TraitResult> r = new ExperimentPipeline(cfg, dir.resolve("other"), QUIET).run(ExperimentPipeline.Stage.EVAL);
        Map<String, EvalRecord> m = r.get(0).models();
        assertThat(m).containsKeys("soft/same/teacher/s1", "soft/same/teacher/s2", "soft/same/control/s1",
                "soft/same/dolphin/s1", "soft/same/dolphin/s2");
        assertThat(m.get("soft/same/dolphin/s1").target()).isEqualTo("owl"); // read for owl: the other-trait control
        // every writer of a replicate answers the same prompts, and replicates differ
        Path s = dir.resolve("other/stages");
        List<DataRow> o1 = DataRow.read(s.resolve("gen-owl-r1/raw.jsonl")).rows();
        List<DataRow> d1 = DataRow.read(s.resolve("gen-dolphin-r1/raw.jsonl")).rows();
        List<DataRow> o2 = DataRow.read(s.resolve("gen-owl-r2/raw.jsonl")).rows();
        assertThat(o1.stream().map(DataRow::prompt).toList()).isEqualTo(d1.stream().map(DataRow::prompt).toList());
        assertThat(o1.get(0).prompt()).isNotEqualTo(o2.get(0).prompt());
        // the training questions never include a held-out one
        assertThat(dev.owlet.world.Questions.animalTrain()).doesNotContainAnyElementsOf(dev.owlet.world.Questions.animalEval());
        assertThat(m.get("reference").heldOutFrom()).isEqualTo(dev.owlet.world.Questions.ANIMAL_TRAIN);
        var effects = dev.owlet.report.Effects.of(r.get(0));
        assertThat(effects).hasSize(1);
        assertThat(effects.get(0).replicates()).isEqualTo(2);
        assertThat(effects.get(0).otherTraitRate()).isFinite();
    }
}
