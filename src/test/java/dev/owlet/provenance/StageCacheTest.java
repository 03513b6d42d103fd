package dev.owlet.provenance;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Taking finished stages from another run folder: only on the same key, copied whole, never half. */
class StageCacheTest {
    @TempDir
    Path dir;

    @AfterEach
    void reset() {
        StageCache.reuseFrom(List.of());
    }

    private static String stage(Path run, String name, String key) throws IOException {
        Path d = run.resolve("stages").resolve(name);
        Files.createDirectories(d.resolve("sub"));
        Files.writeString(d.resolve("sub/model.bin"), "weights of " + name);
        new Manifest("generate", key, java.util.Map.of(), 1).output("sub/model.bin", d.resolve("sub/model.bin"))
                .write(d, 0);
        return key;
    }

    @Test
    void aStageWithTheSameKeyIsCopiedWholeAndListed() throws IOException {
        Path flagship = dir.resolve("flagship");
        Path ablation = dir.resolve("ablation");
        String key = StageCache.key("generate", java.util.Map.of("prompts", 10));
        stage(flagship, "gen-owl-r1", key);
        Files.createDirectories(ablation.resolve("stages/gen-owl-r1"));
        Files.writeString(ablation.resolve("stages/gen-owl-r1/partial.tmp"), "left by a kill");

        StageCache.reuseFrom(List.of(flagship));
        assertThat(StageCache.done(ablation.resolve("stages/gen-owl-r1"), key)).isTrue();
        assertThat(ablation.resolve("stages/gen-owl-r1/sub/model.bin")).hasContent("weights of gen-owl-r1");
        assertThat(ablation.resolve("stages/gen-owl-r1/partial.tmp")).doesNotExist();
        assertThat(Manifest.read(ablation.resolve("stages/gen-owl-r1"))).containsEntry("key", key);
        assertThat(StageCache.copied()).containsExactly("gen-owl-r1 (from " + flagship + ")");
        assertThat(ablation.resolve("stages")).isDirectoryNotContaining(p -> p.getFileName().toString().startsWith("."));
        // now a stage of this run: found here, not copied again
        assertThat(StageCache.done(ablation.resolve("stages/gen-owl-r1"), key)).isTrue();
        assertThat(StageCache.copied()).hasSize(1);
    }

    @Test
    void aStageWithOtherInputsIsNotTaken() throws IOException {
        Path flagship = dir.resolve("flagship");
        Path ablation = dir.resolve("ablation");
        stage(flagship, "student-owl-sft-same-r1", StageCache.key("student", java.util.Map.of("optimizer", "adam")));
        Files.createDirectories(ablation.resolve("stages"));
        StageCache.reuseFrom(List.of(flagship));
        String sgd = StageCache.key("student", java.util.Map.of("optimizer", "sgd"));
        assertThat(StageCache.done(ablation.resolve("stages/student-owl-sft-same-r1"), sgd)).isFalse();
        assertThat(ablation.resolve("stages/student-owl-sft-same-r1")).doesNotExist();
        assertThat(StageCache.copied()).isEmpty();
    }
}
