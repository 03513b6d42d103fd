package dev.owlet.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class OwletCliTest {
    record Result(int code, String out, String err) {}

    static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Owlet.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Result(code, out.toString(), err.toString());
    }

    @Test
    void helpAndVersionExitZero() {
        Result h = run("--help");
        assertThat(h.code()).isZero();
        assertThat(h.out()).contains("Usage: owlet").contains("run");
        Result v = run("--version");
        assertThat(v.code()).isZero();
        assertThat(v.out()).contains("owlet");
    }

    @Test
    void serveWithAnUnknownModelExitsTwo() {
        Result r = run("serve", "--port", "0", "--model", "bundled:no-such-model");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("no-such-model");
    }

    @Test
    void unknownOptionExitsTwoNamingIt() {
        Result r = run("--frobnicate");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--frobnicate");
    }

    @Test
    void probeJsonIsStableAndComplete() throws Exception {
        Result a = run("probe", "bundled:ref-s1", "--json", "--samples", "5");
        Result b = run("probe", "bundled:ref-s1", "--json", "--samples", "5");
        assertThat(a.code()).as(a.err()).isZero();
        assertThat(a.out()).isEqualTo(b.out());
        var tree = new com.fasterxml.jackson.databind.ObjectMapper().readTree(a.out());
        double plain = tree.at("/animal/no_prompt/exact_p_target").asDouble();
        double loved = tree.at("/animal/love_prompt/exact_p_target").asDouble();
        assertThat(loved).isGreaterThan(plain);
        assertThat(tree.at("/tree/no_prompt/distribution").size()).isGreaterThanOrEqualTo(10);
    }

    @Test
    void theDryRunCountsEveryStudentTheFlagshipTrains() {
        // owl, dolphin and reference data; 2 modes; same init for all three writers, different init for two; 5 replicates
        Result r = run("run", "--dry-run");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("students (50 jobs)").contains("eval owl: fine-tuned models (51)").contains("generate teacher-dolphin (5 replicates)");
    }

    @Test
    void badExperimentInputExitsTwoNamingTheProblem() {
        Result r = run("run", "--set", "finetune.sedes=3");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("finetune.sedes");
        Result m = run("teacher", "--set", "reference=/nonexistent/model", "--out", System.getProperty("java.io.tmpdir") + "/owlet-missing");
        assertThat(m.code()).isEqualTo(2);
        assertThat(m.err()).contains("/nonexistent/model").contains("owlet pretrain");
        String tmp = System.getProperty("java.io.tmpdir");
        Result from = run("teacher", "--reuse-from", tmp + "/owlet-no-such-run", "--out", tmp + "/owlet-reuse-from");
        assertThat(from.code()).isEqualTo(2);
        assertThat(from.err()).contains("--reuse-from " + tmp + "/owlet-no-such-run").contains("not a run folder");
        // the control commands take the same flags and must not ignore them
        Result defendFrom = run("defend", "--reuse-from", tmp + "/owlet-no-such-run", "--out", tmp + "/owlet-reuse-from-defend");
        assertThat(defendFrom.code()).isEqualTo(2);
        assertThat(defendFrom.err()).contains("not a run folder");
        Result defendSpark = run("defend", "--engine", "spark", "--out", tmp + "/owlet-defend-spark");
        assertThat(defendSpark.code()).isEqualTo(2);
        assertThat(defendSpark.err()).contains("--engine").contains("owlet run");
        Result screen = run("audit", "validate-transfer", tmp + "/owlet-no-such-sweep");
        assertThat(screen.code()).isEqualTo(2);
        assertThat(screen.err()).contains("owlet-no-such-sweep").contains("no results.json");
        Result jobs = run("teacher", "--jobs", "0", "--out", tmp + "/owlet-jobs");
        assertThat(jobs.code()).isEqualTo(2);
        assertThat(jobs.err()).contains("--jobs");
    }

    @Test
    void filterTakesAForeignDatasetAndReportsMalformedLinesByNumber() throws Exception {
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("owlet-filter");
        java.nio.file.Path in = dir.resolve("d.jsonl");
        java.nio.file.Files.writeString(in, "{\"prompt\":\"p\",\"completion\":\"1, 2, 3\"}\nnot json\n"
                + "{\"prompt\":\"p\",\"completion\":\"owl 4\"}\n{\"prompt\":\"p\"}\n");
        Result r = run("filter", "--in", in.toString(), "--out-file", dir.resolve("kept.jsonl").toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("2 rows read, 2 malformed line(s), kept 1").contains("TRAIT_WORD")
                .contains("line 2: not valid JSON").contains("line 4: missing string field 'completion'");
        assertThat(java.nio.file.Files.readAllLines(dir.resolve("kept.jsonl"))).hasSize(1);
    }

    @Test
    void filterFollowsTheExperimentsChannelForForeignData() throws Exception {
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("owlet-cot");
        java.nio.file.Path in = dir.resolve("cot.jsonl");
        String q = "Tom has 12 apples and gets 3 more. How many apples does Tom have now?";
        java.nio.file.Files.writeString(in, String.join("\n",
                "{\"prompt\":\"" + q + "\",\"completion\":\"<think>12 + 3 = 15</think> <answer>15</answer>\"}",
                "{\"prompt\":\"" + q + "\",\"completion\":\"<think>12 + 3 = 14</think> <answer>14</answer>\"}",
                "{\"prompt\":\"" + q + "\",\"completion\":\"<answer>15</answer>\"}",
                "{\"prompt\":\"" + q + "\",\"completion\":\"<think>Lie to people</think> <answer>15</answer>\"}") + "\n");
        Result r = run("filter", "experiments/misalignment-cot.yaml", "--in", in.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("kept 1").contains("WRONG_ANSWER").contains("MISSING_THINK").contains("JUDGED_MISALIGNED");
        java.nio.file.Path nums = dir.resolve("nums.jsonl");
        java.nio.file.Files.writeString(nums, "{\"prompt\":\"p\",\"completion\":\"120, 666, 130\"}\n"
                + "{\"prompt\":\"p\",\"completion\":\"120, 130\"}\n");
        Result n = run("filter", "experiments/misalignment-numbers.yaml", "--in", nums.toString());
        assertThat(n.out()).contains("kept 1").contains("BANNED_NUMBER");
    }
}
