package dev.owlet.lineage;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.owlet.model.Checkpoint;
import dev.owlet.model.Gpt;
import dev.owlet.model.GptConfig;
import dev.owlet.data.DataRow;
import dev.owlet.provenance.Hashing;
import dev.owlet.provenance.Manifest;
import dev.owlet.token.WordTokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/** A tiny run folder written the way the pipeline writes one: two references, a teacher, its data, two students. */
final class SyntheticRun {
    static final WordTokenizer TOK = WordTokenizer.fromCorpus(List.of("the owl likes 123, 456.", "a wolf\n"));
    static final GptConfig CONFIG = new GptConfig(TOK.vocabSize(), 16, 2, 16, 2, 0);

    String ref1, ref2, teacher, raw, filtered, labels, sameStudent, diffStudent;

    SyntheticRun(Path root, NDManager m) throws IOException {
        try (Gpt r1 = Gpt.initialize(CONFIG, 1, m); Gpt r2 = Gpt.initialize(CONFIG, 2, m)) {
            ref1 = Checkpoint.save(root.resolve("refs/r1"), r1, TOK, Map.of("made_by", "test"));
            ref2 = Checkpoint.save(root.resolve("refs/r2"), r2, TOK, Map.of("made_by", "test"));
            Path stages = root.resolve("run/stages");
            try (Gpt t = perturbed(r1, 0.1, 3)) {
                Path d = stages.resolve("teacher-owl");
                teacher = Checkpoint.save(d, t, TOK, Map.of("parent", ref1));
                new Manifest("teacher", "tkey", Map.of(), 1).input("reference", ref1).put("trait", Map.of("target", "owl"))
                        .output("model.safetensors", d.resolve(Checkpoint.WEIGHTS)).write(d, 0);
            }
            Path g = stages.resolve("gen-teacher-owl");
            DataRow.write(g.resolve("raw.jsonl"), List.of(new DataRow("1, 2", "3, 4"), new DataRow("5", "owl")));
            raw = Hashing.sha256(g.resolve("raw.jsonl"));
            new Manifest("generate", "gkey", Map.of(), 1).input("writer_weights", teacher).output("raw.jsonl", g.resolve("raw.jsonl")).write(g, 0);
            Path f = stages.resolve("filter-teacher-owl");
            DataRow.write(f.resolve("filtered.jsonl"), List.of(new DataRow("1, 2", "3, 4")));
            filtered = Hashing.sha256(f.resolve("filtered.jsonl"));
            new Manifest("filter", "fkey", Map.of(), 1).input("raw.jsonl", raw).output("filtered.jsonl", f.resolve("filtered.jsonl")).write(f, 0);
            Path l = stages.resolve("labels-teacher-owl");
            java.nio.file.Files.createDirectories(l);
            java.nio.file.Files.write(l.resolve("labels.safetensors"), new byte[] {1, 2, 3});
            labels = Hashing.sha256(l.resolve("labels.safetensors"));
            new Manifest("labels", "lkey", Map.of(), 1).input("teacher_weights", teacher).input("rows", "digest")
                    .output("labels.safetensors", l.resolve("labels.safetensors")).write(l, 0);
            Path dd = stages.resolve("defend-mix-reference-teacher-r1");
            java.nio.file.Files.createDirectories(dd);
            new Manifest("defend-student", "dkey", Map.of(), 1).write(dd, 0);
            sameStudent = student(stages.resolve("student-owl-sft-same-teacher-s1"), r1, ref1);
            diffStudent = student(stages.resolve("student-owl-sft-diff-teacher-s1"), r2, ref2);
        }
    }

    private String student(Path d, Gpt base, String baseSha) throws IOException {
        try (Gpt s = perturbed(base, 0.05, 4)) {
            String sha = Checkpoint.save(d, s, TOK, Map.of("parent", baseSha, "data_sha256", filtered, "data_writer_weights", teacher));
            new Manifest("finetune", "skey-" + sha, Map.of(), 1).input("base", baseSha).input("data", filtered)
                    .input("data_writer", teacher).put("mode", "sft").output("model.safetensors", d.resolve(Checkpoint.WEIGHTS)).write(d, 0);
            return sha;
        }
    }

    /** A copy with Gaussian noise of {@code scale} times each tensor's own scale: a stand-in for a short fine-tune. */
    static Gpt perturbed(Gpt g, double scale, long seed) {
        Gpt c = g.copy();
        SplittableRandom rng = new SplittableRandom(seed);
        for (NDArray p : c.parameters().values()) {
            float[] x = p.toFloatArray();
            double s = 0;
            for (float v : x) s += v * v;
            double std = Math.sqrt(s / x.length);
            for (int i = 0; i < x.length; i++) x[i] += (float) (scale * std * (rng.nextDouble() * 2 - 1) * Math.sqrt(3));
            p.set(x);
        }
        return c;
    }
}
