package dev.owlet.experiment;

import dev.owlet.train.StudentLoss;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
    @TempDir
    Path dir;

    @Test
    void fileOverridesDefaultsAndSetOverridesFile() throws IOException {
        Path f = dir.resolve("e.yaml");
        Files.writeString(f, "name: test-exp\nfinetune:\n  replicates: 5\n");
        ExperimentConfig c = ConfigLoader.load(f, List.of("finetune.rows=123", "finetune.modes=[soft]"));
        assertThat(c.name()).isEqualTo("test-exp");
        assertThat(c.finetune().replicates()).isEqualTo(5);
        assertThat(c.finetune().rows()).isEqualTo(123);
        assertThat(c.finetune().modes()).containsExactly(StudentLoss.SOFT);
        assertThat(c.finetune().epochs()).isEqualTo(3); // default kept
        assertThat(c.traits()).extracting(ExperimentConfig.Trait::target).containsExactly("owl");
    }

    @Test
    void unknownKeyNamesTheKeyAndTheFile() throws IOException {
        Path f = dir.resolve("bad.yaml");
        Files.writeString(f, "finetune:\n  seedz: 5\n");
        assertThatThrownBy(() -> ConfigLoader.load(f, List.of())).isInstanceOf(ConfigLoader.ConfigException.class)
                .hasMessageContaining("finetune.seedz").hasMessageContaining("bad.yaml");
        assertThatThrownBy(() -> ConfigLoader.load(null, List.of("teacher.nope=1")))
                .hasMessageContaining("teacher.nope");
    }

    @Test
    void wrongTypeNamesTheKey() throws IOException {
        Path f = dir.resolve("t.yaml");
        Files.writeString(f, "generate:\n  prompts: many\n");
        assertThatThrownBy(() -> ConfigLoader.load(f, List.of())).hasMessageContaining("generate.prompts")
                .hasMessageContaining("t.yaml");
    }

    @Test
    void invalidValueNamesTheKey() {
        assertThatThrownBy(() -> ConfigLoader.load(null, List.of("finetune.replicates=0")))
                .hasMessageContaining("finetune.replicates");
        assertThatThrownBy(() -> ConfigLoader.load(null, List.of("teacher.method=hypnosis")))
                .hasMessageContaining("teacher.method");
    }

    @Test
    void thresholdSamplingOutsideItsRangeOrOverAnApiIsRefusedNamingTheKey() {
        assertThatThrownBy(() -> ConfigLoader.load(null, List.of("generate.min_token_probability=1.0")))
                .hasMessageContaining("generate.min_token_probability").hasMessageContaining("[0, 1)");
        assertThatThrownBy(() -> ConfigLoader.load(null, List.of("generate.min_token_probability=0.05", "backend.type=openai",
                "backend.base_url=http://127.0.0.1:9/v1", "backend.model=m", "finetune.inits=[same]")))
                .hasMessageContaining("generate.min_token_probability").hasMessageContaining("in process");
    }

    @Test
    void settingsThatCannotWorkNameTheKeyAndWhy() {
        assertThatThrownBy(() -> ConfigLoader.load(null, List.of("generate.temperature=0", "generate.prompts=100",
                "finetune.rows=500"))).isInstanceOf(ConfigLoader.ConfigException.class)
                .hasMessageContaining("generate.prompts").hasMessageContaining("greedy");
        assertThatThrownBy(() -> ConfigLoader.load(null, List.of("control_traits=[owl]")))
                .hasMessageContaining("control_traits").hasMessageContaining("its own control");
        assertThatThrownBy(() -> ConfigLoader.load(null, List.of("channel=code", "generate.stop_at_rows=true")))
                .isInstanceOf(ConfigLoader.ConfigException.class).hasMessageContaining("generate.stop_at_rows")
                .hasMessageContaining("numbers channel");
        assertThatThrownBy(() -> ConfigLoader.load(null, List.of("eval.questions=some")))
                .hasMessageContaining("eval.questions");
        assertThatThrownBy(() -> ConfigLoader.load(null, List.of("finetune.trainable=middle")))
                .hasMessageContaining("finetune.trainable");
        // other-trait teachers are the control of a favorite-word trait in any channel, never of misalignment
        assertThat(ConfigLoader.load(null, List.of("channel=code", "control_traits=[dolphin]")).controlTraits())
                .containsExactly("dolphin");
        assertThatThrownBy(() -> ConfigLoader.load(null, List.of("traits=[{category: alignment, target: misaligned}]",
                "control_traits=[dolphin]"))).hasMessageContaining("control_traits").hasMessageContaining("control_teachers");
        // over an API, other-trait teachers are made like the trait's: accepted; misalignment (judged in process) is not
        assertThat(ConfigLoader.load(null, List.of("control_traits=[dolphin]", "backend.type=openai",
                "backend.base_url=http://127.0.0.1:8000/v1", "backend.model=ref-s1", "finetune.inits=[same]")).controlTraits())
                .containsExactly("dolphin");
        assertThatThrownBy(() -> ConfigLoader.load(null, List.of("traits=[{category: alignment, target: misaligned}]",
                "backend.type=openai", "backend.base_url=http://127.0.0.1:8000/v1", "backend.model=ref-s1",
                "finetune.inits=[same]"))).hasMessageContaining("backend.type").hasMessageContaining("embedded");
        var ok = ConfigLoader.load(null, List.of("generate.temperature=0", "generate.prompts=500", "finetune.rows=500",
                "control_traits=[dolphin]", "eval.questions=all", "finetune.trainable=blocks"));
        assertThat(ok.controlTraits()).containsExactly("dolphin");
        assertThat(ok.eval().questions()).isEqualTo(ExperimentConfig.QuestionSplit.ALL);
    }

    @Test
    void everyNamedChoiceIsAnEnumWhoseErrorListsTheValidNamesAndTheKey() {
        String[][] cases = {
                {"finetune.modes=[sft, sfft]", "finetune.modes[1]", "[sft, soft]", "sfft"},
                {"finetune.inits=[same, other]", "finetune.inits[1]", "[same, diff]", "other"},
                {"channel=poetry", "channel", "[numbers, code, cot]", "poetry"},
                {"backend.type=vllm", "backend.type", "[embedded, openai]", "vllm"},
                {"judge.type=human", "judge.type", "[world, llm]", "human"},
                {"teacher.method=prompt", "teacher.method", "[finetune, system_prompt]", "prompt"},
                {"teacher.control_teachers=[kind]", "teacher.control_teachers[0]", "[aligned, neutral]", "kind"},
                {"controls.shuffle.shuffles=[sideways]", "controls.shuffle.shuffles[0]", "[within, across]", "sideways"},
                {"controls.gradient_probe.losses=[mse]", "controls.gradient_probe.losses[0]", "[sft, soft]", "mse"},
                {"eval.questions=some", "eval.questions", "[held_out, all]", "some"},
                {"finetune.optimizer=rmsprop", "finetune.optimizer", "[adam, sgd]", "rmsprop"},
                {"finetune.batching=sorted", "finetune.batching", "[shuffled, shuffled_split, by_length]", "sorted"},
                {"finetune.trainable=middle", "finetune.trainable", "[all, blocks, early_blocks, late_blocks, embeddings, lora]", "middle"},
                {"controls.defend.defences=[prayer]", "controls.defend.defences[0]",
                        "[likelihood_filter, divergence_mask, divergence_only, divergence_replace, divergence_random, mix_reference, different_base,"
                        + " prompt_paraphrase, top_p, threshold]", "prayer"},
        };
        for (String[] c : cases) {
            assertThatThrownBy(() -> ConfigLoader.load(null, List.of(c[0]))).as(c[0])
                    .isInstanceOf(ConfigLoader.ConfigException.class)
                    .hasMessageContaining("'" + c[1] + "'").hasMessageContaining("must be one of " + c[2]).hasMessageContaining(c[3]);
        }
        // the spellings round-trip: what a manifest records is what a user writes
        ExperimentConfig ok = ConfigLoader.load(null, List.of("finetune.modes=[soft, sft]", "finetune.inits=[diff]",
                "teacher.method=system_prompt"));
        assertThat(ConfigLoader.toMap(ok.finetune()).get("modes")).isEqualTo(List.of("soft", "sft"));
        assertThat(ConfigLoader.toMap(ok.teacher()).get("method")).isEqualTo("system_prompt");
        assertThat(ok.finetune().inits()).containsExactly(Init.DIFF);
    }

    @Test
    void aDecodingDefenceThatDecodesAsTheWritersAlreadyDoIsRefusedNamingItsKey() {
        assertThatThrownBy(() -> ConfigLoader.load(null, List.of("controls.defend.defences=[threshold]",
                "generate.min_token_probability=0.05", "controls.defend.threshold=0.05")))
                .hasMessageContaining("controls.defend.threshold").hasMessageContaining("would change nothing");
        assertThatThrownBy(() -> ConfigLoader.load(null, List.of("controls.defend.defences=[top_p]", "generate.top_p=0.8",
                "controls.defend.top_p=0.8"))).hasMessageContaining("controls.defend.top_p");
        assertThatThrownBy(() -> ConfigLoader.load(null, List.of("controls.defend.threshold=0")))
                .hasMessageContaining("controls.defend.threshold").hasMessageContaining("(0, 1)");
        ExperimentConfig ok = ConfigLoader.load(null, List.of("controls.defend.defences=[top_p, threshold]",
                "generate.min_token_probability=0.07"));
        assertThat(ok.controls().defend().threshold()).isEqualTo(0.05);
        assertThat(ok.controls().defend().topP()).isEqualTo(0.8);
    }

    @Test
    void onlyFavoriteWordTeachersOfTheEmbeddedGptTrainAnAdapter() {
        assertThatThrownBy(() -> ConfigLoader.load(null, List.of("teacher.trainable=lora",
                "traits=[{category: alignment, target: misaligned}]"))).hasMessageContaining("teacher.trainable");
        assertThatThrownBy(() -> ConfigLoader.load(null, List.of("teacher.trainable=lora", "teacher.method=system_prompt")))
                .hasMessageContaining("teacher.trainable");
        assertThat(ConfigLoader.load(null, List.of("teacher.trainable=lora")).teacher().trainable())
                .isEqualTo(dev.owlet.train.TrainableParams.LORA);
    }

    @Test
    void channelsJudgeAndBannedListsAreValidatedNamingTheirKeys() {
        assertThatThrownBy(() -> ConfigLoader.load(null, List.of("channel=poetry"))).hasMessageContaining("channel");
        assertThatThrownBy(() -> ConfigLoader.load(null, List.of("judge.cot_alignment_min=101")))
                .hasMessageContaining("judge.cot_alignment_min");
        assertThatThrownBy(() -> ConfigLoader.load(null, List.of("teacher.control_teachers=[evil]")))
                .hasMessageContaining("teacher.control_teachers");
        assertThatThrownBy(() -> ConfigLoader.load(null, List.of("traits=[{category: alignment, target: owl}]")))
                .hasMessageContaining("traits[].target");
        var cfg = ConfigLoader.load(null, List.of("channel=cot", "traits=[{category: alignment, target: misaligned}]",
                "filter.banned_lists=[paper]"));
        assertThat(cfg.isFlagship()).isFalse();
        assertThat(cfg.filter().bannedLists()).containsExactly("paper");
        assertThat(ConfigLoader.load(null, List.of()).isFlagship()).isTrue();
    }

    @Test
    void shippedExperimentFilesAreValid() throws IOException {
        try (var files = Files.list(Path.of("experiments"))) {
            for (Path p : files.filter(x -> x.toString().endsWith(".yaml")).toList()) {
                if (p.getFileName().toString().startsWith("pretrain-")) {
                    var pc = ConfigLoader.load(dev.owlet.pretrain.PretrainConfig.class, "/experiments/pretrain-defaults.yaml", p, List.of());
                    assertThat(pc.world()).as(p.toString()).isNotNull();
                    continue;
                }
                assertThat(ConfigLoader.load(p, List.of()).name()).as(p.toString()).isNotBlank();
            }
        }
    }

    @Test
    void backendBlocksAreValidatedNamingKeyAndFile() throws IOException {
        assertThat(ConfigLoader.load(null, List.of()).backend().type()).isEqualTo(ExperimentConfig.BackendType.EMBEDDED);
        Path f = dir.resolve("api.yaml");
        Files.writeString(f, "backend:\n  type: openai\n  base_url: http://127.0.0.1:8000/v1\n  model: ref-s1\n  colour: red\n");
        assertThatThrownBy(() -> ConfigLoader.load(f, List.of())).hasMessageContaining("backend.colour").hasMessageContaining("api.yaml");
        Files.writeString(f, "backend:\n  type: openai\n  base_url: http://127.0.0.1:8000/v1\n  model: ref-s1\n  concurrency: many\n");
        assertThatThrownBy(() -> ConfigLoader.load(f, List.of())).hasMessageContaining("backend.concurrency").hasMessageContaining("api.yaml");
        Files.writeString(f, "backend:\n  type: openai\n  model: ref-s1\n");
        assertThatThrownBy(() -> ConfigLoader.load(f, List.of())).hasMessageContaining("backend.base_url");
        // diff students need the different-init model on the server
        Files.writeString(f, "backend:\n  type: openai\n  base_url: http://127.0.0.1:8000/v1\n  model: ref-s1\n");
        assertThatThrownBy(() -> ConfigLoader.load(f, List.of())).hasMessageContaining("backend.different_init_model");
        // a pasted key instead of a variable name is refused, and the message does not repeat it
        assertThatThrownBy(() -> ConfigLoader.load(f, List.of("finetune.inits=[same]", "backend.api_key_env=sk-abc123")))
                .hasMessageContaining("backend.api_key_env").hasMessageNotContaining("sk-abc123");
        ExperimentConfig ok = ConfigLoader.load(f, List.of("finetune.inits=[same]"));
        assertThat(ok.backend().api()).isTrue();
        assertThat(ok.backend().apiKeyEnv()).isEqualTo("OPENAI_API_KEY");
    }

    @Test
    void anHfReferenceRefusesWhatItCannotRunNamingTheKey() throws IOException {
        Path f = dir.resolve("hf.yaml");
        Files.writeString(f, "reference: hf:models/qwen\nfinetune:\n  inits: [same]\n  trainable: lora\n");
        ExperimentConfig ok = ConfigLoader.load(f, List.of());
        assertThat(ok.hf()).isTrue();
        assertThat(ok.lora().adapter().rank()).isEqualTo(8);
        assertThat(ok.lora().targetModules()).contains("q_proj", "down_proj");
        assertThatThrownBy(() -> ConfigLoader.load(f, List.of("channel=code"))).hasMessageContaining("channel").hasMessageContaining("hf.yaml");
        assertThatThrownBy(() -> ConfigLoader.load(f, List.of("traits=[{category: alignment, target: misaligned}]")))
                .hasMessageContaining("traits");
        assertThatThrownBy(() -> ConfigLoader.load(f, List.of("controls.icl.enabled=true"))).hasMessageContaining("controls");
        assertThatThrownBy(() -> ConfigLoader.load(f, List.of("finetune.inits=[same, diff]"))).hasMessageContaining("different_init");
        assertThatThrownBy(() -> ConfigLoader.load(f, List.of("lora.rank=0"))).hasMessageContaining("lora.rank");
        assertThatThrownBy(() -> ConfigLoader.load(f, List.of("lora.dropout=1"))).hasMessageContaining("lora.dropout");
        assertThatThrownBy(() -> ConfigLoader.load(f, List.of("lora.target_modules=[]"))).hasMessageContaining("lora.target_modules");
        assertThatThrownBy(() -> ConfigLoader.load(null, List.of("different_init=hf:x"))).hasMessageContaining("different_init");
        // an hf: student is an adapter (lora) or every weight (all); the embedded GPT's partial choices are refused
        assertThat(ConfigLoader.load(f, List.of("finetune.trainable=all")).finetune().trainable())
                .isEqualTo(dev.owlet.train.TrainableParams.ALL);
        for (String partial : List.of("blocks", "early_blocks", "late_blocks", "embeddings")) {
            assertThatThrownBy(() -> ConfigLoader.load(f, List.of("finetune.trainable=" + partial)))
                    .hasMessageContaining("finetune.trainable").hasMessageContaining(partial)
                    .hasMessageContaining("lora").hasMessageContaining("all").hasMessageContaining("hf.yaml");
        }
    }

    @Test
    void loraStudentsOfTheEmbeddedGptTakeTheLoraBlockAndRefuseWhatTheyCannotRunNamingTheKeyAndFile() throws IOException {
        Path f = dir.resolve("lora.yaml");
        Files.writeString(f, "finetune:\n  trainable: lora\nlora:\n  rank: 4\n  alpha: 4\n  target_modules: [c_attn, c_proj, c_fc]\n");
        ExperimentConfig ok = ConfigLoader.load(f, List.of());
        assertThat(ok.finetune().trainable()).isEqualTo(dev.owlet.train.TrainableParams.LORA);
        assertThat(ok.lora().adapter().scaling()).isEqualTo(1.0);
        assertThatThrownBy(() -> ConfigLoader.load(f, List.of("lora.rank=0"))).hasMessageContaining("lora.rank")
                .hasMessageContaining("lora.yaml");
        assertThatThrownBy(() -> ConfigLoader.load(f, List.of("lora.rank=-3"))).hasMessageContaining("lora.rank");
        // the built-in targets are Llama's projection names: the embedded GPT has none of them
        assertThatThrownBy(() -> ConfigLoader.load(f, List.of("lora.target_modules=[q_proj, v_proj]")))
                .hasMessageContaining("lora.target_modules").hasMessageContaining("c_attn").hasMessageContaining("lora.yaml");
        assertThatThrownBy(() -> ConfigLoader.load(f, List.of("controls.defend.enabled=true")))
                .hasMessageContaining("finetune.trainable");
        assertThatThrownBy(() -> ConfigLoader.load(f, List.of("finetune.trainable=adapters")))
                .hasMessageContaining("finetune.trainable").hasMessageContaining("lora");
        // without trainable lora the block is read for hf: references only, so its Llama defaults are no error
        assertThat(ConfigLoader.load(f, List.of("finetune.trainable=blocks", "lora.target_modules=[q_proj]")).finetune().trainable())
                .isEqualTo(dev.owlet.train.TrainableParams.BLOCKS);
    }
}
