package dev.owlet.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.owlet.model.HfFixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code owlet run} on a checkpoint folder owlet cannot use exits 2, naming the key, the file and what is wrong,
 * before any stage runs: nothing is made in the run folder's stages. Each case breaks one thing of a checkpoint
 * that otherwise runs (see HfExperimentTest).
 */
class HfRunCliTest {
    @TempDir
    Path tmp;
    Path good;

    @BeforeEach
    void writeCheckpoint() throws Exception {
        good = HfFixtures.writeNumberWriter(tmp.resolve("good"), 1);
    }

    /** A copy of the good checkpoint with {@code edit} applied. */
    private Path broken(String name, Consumer<Path> edit) throws Exception {
        Path d = Files.createDirectories(tmp.resolve(name));
        try (var files = Files.list(good)) {
            for (Path f : files.toList()) Files.copy(f, d.resolve(f.getFileName()));
        }
        edit.accept(d);
        return d;
    }

    private OwletCliTest.Result run(String reference) {
        return OwletCliTest.run("run", "--out", tmp.resolve("run").toString(), "--set", "reference=hf:" + reference,
                "--set", "finetune.inits=[same]", "--set", "teacher.method=system_prompt", "--set", "finetune.trainable=lora");
    }

    private void assertBadInput(OwletCliTest.Result r, String... mentions) {
        assertThat(r.code()).as(r.err()).isEqualTo(2);
        assertThat(r.err()).contains("reference").contains(mentions);
        assertThat(tmp.resolve("run/stages/teacher-owl")).doesNotExist();
        assertThat(tmp.resolve("run/stages/gen-owl-r1")).doesNotExist();
    }

    private static void io(IoAction a) {
        try {
            a.run();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private interface IoAction {
        void run() throws Exception;
    }

    @Test
    void aDryRunPrintsTheTimeAndMemoryEstimateMeasuredOnTheCheckpointAndRunsNothing() {
        OwletCliTest.Result r = OwletCliTest.run("run", "--dry-run", "--out", tmp.resolve("run").toString(), "--set",
                "reference=hf:" + good, "--set", "finetune.inits=[same]", "--set", "teacher.method=system_prompt",
                "--set", "finetune.trainable=lora");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("dry run of").contains("hf: estimate for this machine").contains("ms per token")
                .contains("parameters; memory about").contains("total ~").doesNotContain("full fine-tune");
        assertThat(tmp.resolve("run")).doesNotExist();
        // full fine-tuning counts the student's own weights, their gradients and Adam's two moments
        OwletCliTest.Result full = OwletCliTest.run("run", "--dry-run", "--out", tmp.resolve("run").toString(), "--set",
                "reference=hf:" + good, "--set", "finetune.inits=[same]", "--set", "teacher.method=system_prompt",
                "--set", "finetune.trainable=all");
        assertThat(full.code()).as(full.err()).isZero();
        assertThat(full.out()).contains("GB for a full fine-tune's student (weights, gradients, 2 Adam moments)");
        assertThat(tmp.resolve("run")).doesNotExist();
        assertBadInput(OwletCliTest.run("run", "--dry-run", "--set", "reference=hf:Qwen/Qwen2.5-0.5B-Instruct",
                "--set", "finetune.inits=[same]", "--set", "teacher.method=system_prompt", "--set", "finetune.trainable=lora"),
                "offline");
    }

    @Test
    void aPartOfTheWeightsAsTrainableExitsAsBadInputNamingFinetuneTrainable() {
        OwletCliTest.Result r = OwletCliTest.run("run", "--out", tmp.resolve("run").toString(), "--set", "reference=hf:" + good,
                "--set", "finetune.inits=[same]", "--set", "teacher.method=system_prompt", "--set", "finetune.trainable=blocks");
        assertThat(r.code()).as(r.err()).isEqualTo(2);
        assertThat(r.err()).contains("finetune.trainable").contains("blocks").contains("lora").contains("all");
        assertThat(tmp.resolve("run/stages")).doesNotExist();
    }

    @Test
    void aHubNameThatIsNoLocalFolderSaysOwletWorksOfflineAndHowToGetTheFiles() {
        OwletCliTest.Result r = run("Qwen/Qwen2.5-0.5B-Instruct");
        assertBadInput(r, "offline", "huggingface-cli download");
    }

    @Test
    void aFolderWithoutConfigOrWeightsNamesTheMissingFile() throws Exception {
        Path noConfig = broken("noconfig", d -> io(() -> Files.delete(d.resolve("config.json"))));
        assertBadInput(run(noConfig.toString()), noConfig.resolve("config.json").toString());
        Path noWeights = broken("noweights", d -> io(() -> Files.delete(d.resolve("model.safetensors"))));
        assertBadInput(run(noWeights.toString()), "model.safetensors");
    }

    @Test
    void anUnknownModelTypeNamesItAndTheConfig() throws Exception {
        Path d = broken("mamba", x -> io(() -> Files.writeString(x.resolve("config.json"), Files.readString(x.resolve("config.json"))
                .replace("Qwen2ForCausalLM", "MambaForCausalLM").replace("\"model_type\": \"qwen2\"", "\"model_type\": \"mamba\""))));
        assertBadInput(run(d.toString()), "MambaForCausalLM", d.resolve("config.json").toString());
    }

    @Test
    void aTensorWhoseShapeDisagreesWithTheConfigNamesTheTensor() throws Exception {
        Path d = broken("shape", x -> io(() -> Files.writeString(x.resolve("config.json"), Files.readString(x.resolve("config.json"))
                .replace("\"intermediate_size\": 48", "\"intermediate_size\": 40"))));
        assertBadInput(run(d.toString()), "mlp.gate_proj.weight", "config.json");
    }

    @Test
    void aTokenizerWithoutAChatTemplateNamesTheTokenizerConfig() throws Exception {
        Path d = broken("notemplate", x -> io(() -> Files.writeString(x.resolve("tokenizer_config.json"),
                Files.readString(x.resolve("tokenizer_config.json")).replaceAll(",\\s*\"chat_template\": \".*\"", ""))));
        assertThat(Files.readString(d.resolve("tokenizer_config.json"))).doesNotContain("chat_template").contains("eos_token");
        assertBadInput(run(d.toString()), d.resolve("tokenizer_config.json").toString(), "chat_template");
    }
}
