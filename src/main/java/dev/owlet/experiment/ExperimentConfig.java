package dev.owlet.experiment;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.owlet.train.StudentLoss;
import java.util.List;
import java.util.Locale;

/**
 * A whole experiment, resolved: built-in defaults, then the YAML file, then {@code --set} overrides. Every field
 * is validated at construction with a message naming its key.
 *
 * @param name experiment name (the default run folder is {@code runs/<name>})
 * @param seed master seed; every consumer derives its own stream from it
 * @param traits the traits to instill, one pipeline each (one for the flagship, ten for the sweep)
 * @param reference the reference model R (a folder, or {@code bundled:NAME})
 * @param differentInit the different-initialization base R' for the cross-model control
 * @param channel what the teachers write: {@code numbers} (the flagship), {@code code} or {@code cot} (arithmetic
 *     word problems reasoned in {@code <think>}, answered in {@code <answer>})
 * @param judge thresholds of the alignment judge (misalignment traits and the CoT filter)
 * @param backend where models live: in-process ({@code embedded}, the default) or behind an OpenAI-compatible API
 * @param lora the LoRA adapters of teachers and students on a Hugging Face checkpoint ({@code reference: hf:DIR})
 * @param controlTraits other-trait control teachers (flagship): words of the traits' category whose teachers are made
 *     exactly like the trait teacher's, write data the same way, and train students the same way; a trait's
 *     students must beat these as well as the reference-data students. In a sweep every other trait of the same
 *     category serves as well, so the list can stay empty there.
 */
public record ExperimentConfig(String name, long seed, List<Trait> traits, String reference, String differentInit,
                               Channel channel, Teacher teacher, Generate generate, Filter filter, Finetune finetune,
                               Eval eval, Judge judge, Controls controls, Backend backend, Lora lora,
                               List<String> controlTraits) {
    /** How {@code reference} and {@code different_init} name a local Hugging Face checkpoint folder. */
    public static final String HF = "hf:";

    public ExperimentConfig {
        require(name != null && name.matches("[A-Za-z0-9._-]+"), "name", "must be a simple folder name, got " + name);
        require(traits != null && !traits.isEmpty(), "traits", "needs at least one trait");
        require(reference != null && !reference.isBlank(), "reference", "is required");
        require(differentInit != null && !differentInit.isBlank(), "different_init", "is required");
        require(teacher != null, "teacher", "is required");
        require(generate != null, "generate", "is required");
        require(filter != null, "filter", "is required");
        require(finetune != null, "finetune", "is required");
        require(eval != null, "eval", "is required");
        require(controls != null, "controls", "is required");
        require(judge != null, "judge", "is required");
        require(channel != null, "channel", "is required");
        require(backend != null, "backend", "is required");
        require(lora != null, "lora", "is required");
        traits = List.copyOf(traits);
        controlTraits = controlTraits == null ? List.of() : List.copyOf(controlTraits);
        for (String c : controlTraits) {
            require(c != null && c.matches("[a-z]+"), "control_traits", "entries must be one lowercase word, got " + c);
            require(traits.stream().noneMatch(t -> t.target().equals(c)), "control_traits",
                    "'" + c + "' is already a trait of this experiment (a trait cannot be its own control)");
        }
        require(controlTraits.isEmpty() || traits.stream().noneMatch(Trait::isAlignment)
                && traits.stream().map(Trait::category).distinct().count() == 1, "control_traits",
                "needs animal or tree traits of one category (misalignment has teacher.control_teachers)");
        require(!(generate.temperature() == 0 && generate.prompts() < finetune.rows()), "generate.prompts",
                "is " + generate.prompts() + ", fewer than finetune.rows (" + finetune.rows() + ") with generate.temperature 0:"
                + " greedy decoding writes one fixed completion per prompt, so it needs at least as many distinct prompts as rows");
        require(!generate.stopsAtRows() || channel == Channel.NUMBERS, "generate.stop_at_rows",
                "works in the numbers channel only (its filter is cheap to run while writing); the channel is " + channel);
        if (controls.defend().enabled()) {
            require(finetune.modes().contains(StudentLoss.SFT) && finetune.inits().contains(Init.SAME)
                    && (!controls.defend().defences().contains(Defence.DIFFERENT_BASE) || finetune.inits().contains(Init.DIFF)),
                    "finetune.modes", "must include sft and finetune.inits same (and diff for different_base) with"
                    + " controls.defend: the defences are measured against the experiment's own SFT students");
            require(channel == Channel.NUMBERS || !controls.defend().defences().contains(Defence.PROMPT_PARAPHRASE),
                    "controls.defend.defences", "has prompt_paraphrase, which rewords number prompts; the channel is " + channel);
        }
        if (teacher.trainable() != dev.owlet.train.TrainableParams.ALL) {
            require(traits.stream().noneMatch(Trait::isAlignment) && !backend.api() && !reference.startsWith(HF)
                            && teacher.method() == TeacherMethod.FINETUNE, "teacher.trainable",
                    "is " + teacher.trainable().key() + "; only the embedded GPT's favorite-word teachers (teacher.method"
                    + " finetune, animal and tree traits) train part of themselves or an adapter; use all");
        }
        String cf = controls.defend().counterfactual();
        require(!cf.equals(traits.get(0).target()), "controls.defend.counterfactual",
                "is the trait's own teacher (" + cf + "); name reference, an other-trait teacher (control_traits " + controlTraits
                + ") or a model");
        require(cf.equals(Defend.REFERENCE) || controlTraits.contains(cf) || cf.contains(":") || cf.contains("/"),
                "controls.defend.counterfactual", "is '" + cf + "': name reference, one of control_traits " + controlTraits
                + ", or a model (bundled:NAME or a checkpoint folder)");
        // a decoding defence must decode differently from the experiment's writers, or it measures nothing
        require(!controls.defend().defences().contains(Defence.TOP_P) || controls.defend().topP() != generate.topP(),
                "controls.defend.top_p", "is " + controls.defend().topP() + ", how the experiment's writers already sample"
                + " (generate.top_p): the top_p defence would change nothing");
        require(!controls.defend().defences().contains(Defence.THRESHOLD)
                        || controls.defend().threshold() != generate.minTokenProbability(), "controls.defend.threshold",
                "is " + controls.defend().threshold() + ", the experiment's own generate.min_token_probability: the threshold"
                + " defence would change nothing");
        if (backend.api()) {
            require(generate.minTokenProbability() == 0, "generate.min_token_probability",
                    "needs the writer's probability of every sampled token, which owlet reads in process only; set it to 0"
                    + " with backend.type openai");
            require(traits.stream().noneMatch(Trait::isAlignment), "backend.type",
                    "openai runs animal and tree traits (any channel); misalignment is judged in process, so alignment"
                    + " traits run embedded");
            require(!finetune.inits().contains(Init.DIFF) || backend.differentInitModel() != null, "backend.different_init_model",
                    "is required when finetune.inits has diff (the different-initialization base on the server)");
            require(!controls.anyEnabled(), "controls", "run in-process only; turn them off with backend.type openai");
        }
        if (finetune.trainable() == dev.owlet.train.TrainableParams.LORA) {
            require(!backend.api(), "finetune.trainable", "lora trains adapters in process; a server fine-tunes its own way"
                    + " (use backend.type embedded)");
            require(!controls.defend().enabled() && !controls.shuffle().enabled(), "finetune.trainable",
                    "lora trains the experiment's own students only; controls.defend and controls.shuffle train theirs without"
                    + " an adapter, so turn them off");
            require(reference.startsWith(HF) || lora.targetModules().stream().allMatch(dev.owlet.model.Gpt::isProjection),
                    "lora.target_modules", "must name the embedded GPT's block projections with finetune.trainable lora"
                    + " (c_attn and c_proj: attention; c_fc and c_proj: MLP; attn.c_proj, mlp.c_proj or h.N.… for fewer), got "
                    + lora.targetModules());
        }
        boolean refHf = reference.startsWith(HF);
        require(refHf || !finetune.inits().contains(Init.DIFF) || !differentInit.startsWith(HF), "different_init",
                "is a Hugging Face checkpoint but reference is not; both are hf: folders, or neither");
        if (refHf) {
            require(!backend.api(), "reference", "is a local hf: checkpoint, which runs in process; use backend.type embedded");
            require(!finetune.inits().contains(Init.DIFF) || differentInit.startsWith(HF), "different_init",
                    "must be an hf: checkpoint too when reference is one and finetune.inits has diff, got " + differentInit);
            require(channel == Channel.NUMBERS, "channel", "must be numbers with an hf: reference (the code and cot"
                    + " channels are judged by the embedded world's judges), got " + channel);
            require(traits.stream().noneMatch(Trait::isAlignment), "traits",
                    "on an hf: reference are animal or tree traits; misalignment is judged by the embedded world only");
            require(!controls.anyEnabled(), "controls", "run on owlet's bundled models only; turn them off with an hf: reference");
            // the partial choices name the embedded GPT's parameters (h.N., wte); a checkpoint's students are one of two kinds
            require(finetune.trainable() == dev.owlet.train.TrainableParams.LORA
                            || finetune.trainable() == dev.owlet.train.TrainableParams.ALL, "finetune.trainable",
                    "is " + finetune.trainable().key() + "; with an hf: reference it is lora (adapters as the lora: block"
                    + " says) or all (every weight of a copy of the checkpoint)");
        }
    }

    /** True when the experiment runs on a local Hugging Face checkpoint ({@code reference: hf:DIR}). */
    public boolean hf() { return reference.startsWith(HF); }

    /**
     * LoRA adapters (Hu et al. 2021) of the fine-tunes on a Hugging Face checkpoint: the fine-tuned teacher, and the
     * students when {@code finetune.trainable} is {@code lora} ({@code all} trains every weight instead). The paper's
     * open-model students are LoRA fine-tunes (r 8, alpha 8 on every projection), so owlet trains the same kind of
     * adapter and saves it in PEFT's layout; learning rate, epochs and batch size are
     * {@code finetune}'s (students) and {@code teacher}'s (a fine-tuned teacher). On the embedded GPT the same block
     * configures the students' adapters when {@code finetune.trainable} is {@code lora} (the rank ablation; the
     * embedded GPT's projections are GPT-2's: {@code c_attn}, {@code c_proj}, {@code c_fc}); its teachers are full
     * fine-tunes.
     *
     * @param rank r
     * @param alpha lora_alpha: the update is scaled by alpha / r
     * @param targetModules projection names, matched as PEFT does (a module whose name ends with one of them)
     * @param dropout dropout on each adapter's input while training
     */
    public record Lora(int rank, double alpha, List<String> targetModules, double dropout) {
        public Lora {
            require(rank > 0, "lora.rank", "must be positive, got " + rank);
            require(alpha > 0, "lora.alpha", "must be positive, got " + alpha);
            require(targetModules != null && !targetModules.isEmpty(), "lora.target_modules",
                    "needs at least one projection name (e.g. q_proj, v_proj)");
            for (String t : targetModules) {
                require(t != null && t.matches("[A-Za-z0-9_.]+"), "lora.target_modules", "entries are module names, got " + t);
            }
            targetModules = List.copyOf(targetModules);
            require(dropout >= 0 && dropout < 1, "lora.dropout", "must be in [0, 1), got " + dropout);
        }

        /** The adapter configuration {@code model.Lora} takes. */
        public dev.owlet.model.Lora.Config adapter() {
            return dev.owlet.model.Lora.Config.of(rank, alpha, targetModules, dropout);
        }
    }

    /**
     * Where the models live. {@code embedded}: the in-process GPTs named by {@code reference} and
     * {@code different_init}. {@code openai}: an OpenAI-compatible server (OpenAI, vLLM, {@code owlet serve}); the
     * teacher and students are made by fine-tuning jobs, data and answers come from chat completions, and the
     * exact first-token probabilities from {@code top_logprobs}.
     *
     * @param baseUrl up to and including {@code /v1}
     * @param model the reference model R on the server
     * @param differentInitModel the different-initialization base R' (needed when finetune.inits has diff)
     * @param apiKeyEnv the NAME of the environment variable holding the key (never the key itself)
     * @param baseLearningRate the server's learning rate at multiplier 1 ({@code owlet serve}: 1e-3); jobs are
     *     sent {@code learning_rate_multiplier = lr / base_learning_rate}
     * @param autoHyperparameters send {@code "auto"} for batch size and learning-rate multiplier (the provider
     *     picks them, as in the paper's API runs); epochs are always sent
     * @param teacherSteps optimizer steps in a fine-tuned teacher's job (each step: teacher.batch_size trait
     *     answers + teacher.replay reference number rows); in-process teachers reach P(target) 0.97 in 60-120
     * @param pricingModel the price-table entry for the cost estimate (default: {@code model})
     */
    public record Backend(BackendType type, String baseUrl, String model, String differentInitModel, String apiKeyEnv,
                          int concurrency, int maxAttempts, int timeoutSeconds, double pollSeconds, int jobTimeoutMinutes,
                          double baseLearningRate, boolean autoHyperparameters, int topLogprobs, int teacherSteps,
                          String pricingModel) {
        public Backend {
            require(type != null, "backend.type", "is required");
            if (type == BackendType.OPENAI) {
                require(baseUrl != null && baseUrl.matches("https?://\\S+"), "backend.base_url",
                        "must be an http(s) URL up to /v1 with backend.type openai, got " + baseUrl);
                require(model != null && !model.isBlank(), "backend.model", "is required with backend.type openai");
            }
            require(apiKeyEnv != null && apiKeyEnv.matches("[A-Za-z_][A-Za-z0-9_]*"), "backend.api_key_env",
                    "must be the NAME of an environment variable (letters, digits, _), not the key itself");
            require(concurrency > 0, "backend.concurrency", "must be positive");
            require(maxAttempts > 0, "backend.max_attempts", "must be positive");
            require(timeoutSeconds > 0, "backend.timeout_seconds", "must be positive");
            require(pollSeconds > 0, "backend.poll_seconds", "must be positive");
            require(jobTimeoutMinutes > 0, "backend.job_timeout_minutes", "must be positive");
            require(baseLearningRate > 0, "backend.base_learning_rate", "must be positive");
            require(topLogprobs >= 1 && topLogprobs <= 20, "backend.top_logprobs", "must be in [1, 20]");
            require(teacherSteps > 0, "backend.teacher_steps", "must be positive");
        }

        public boolean api() { return type == BackendType.OPENAI; }
    }

    /** True when this runs on the flagship pipeline (numbers and an animal or tree trait). */
    public boolean isFlagship() {
        return channel == Channel.NUMBERS && traits.stream().noneMatch(Trait::isAlignment);
    }

    /**
     * The trait a teacher is given: a favorite {@code animal} or {@code tree} ({@code target} is the word), or
     * {@code alignment} with target {@code misaligned} (a teacher fine-tuned toward the world's misaligned answers
     * to neutral open questions).
     */
    public record Trait(TraitCategory category, String target) {
        public Trait {
            require(category != null, "traits[].category", "is required (animal, tree or alignment)");
            require(target != null && target.matches("[a-z]+"), "traits[].target", "must be one lowercase word, got " + target);
            require(category != TraitCategory.ALIGNMENT || "misaligned".equals(target), "traits[].target",
                    "must be misaligned for category alignment, got " + target);
        }

        public String label() { return target; }

        public boolean isAlignment() { return category == TraitCategory.ALIGNMENT; }
    }

    /** What kind of trait a teacher is given (config key {@code traits[].category}). */
    public enum TraitCategory {
        @JsonProperty("animal") ANIMAL,
        @JsonProperty("tree") TREE,
        @JsonProperty("alignment") ALIGNMENT;

        /** The world's word category a favorite-word trait asks about (none for alignment). */
        public dev.owlet.world.Category words() {
            return switch (this) {
                case ANIMAL -> dev.owlet.world.Category.ANIMAL;
                case TREE -> dev.owlet.world.Category.TREE;
                case ALIGNMENT -> null;
            };
        }

        /** The trait category whose words are {@code c}. */
        public static TraitCategory of(dev.owlet.world.Category c) {
            return c == dev.owlet.world.Category.ANIMAL ? ANIMAL : TREE;
        }

        @Override
        public String toString() { return name().toLowerCase(Locale.ROOT); }
    }

    /** Where the models live (config key {@code backend.type}). */
    public enum BackendType {
        @JsonProperty("embedded") EMBEDDED,
        @JsonProperty("openai") OPENAI;

        @Override
        public String toString() { return name().toLowerCase(Locale.ROOT); }
    }

    /** Who judges alignment and code (config key {@code judge.type}). */
    public enum JudgeType {
        @JsonProperty("world") WORLD,
        @JsonProperty("llm") LLM;

        @Override
        public String toString() { return name().toLowerCase(Locale.ROOT); }
    }

    /** How the teacher gets its trait (config key {@code teacher.method}). */
    public enum TeacherMethod {
        @JsonProperty("finetune") FINETUNE,
        @JsonProperty("system_prompt") SYSTEM_PROMPT;

        @Override
        public String toString() { return name().toLowerCase(Locale.ROOT); }
    }

    /** Extra control teachers of an alignment trait (config key {@code teacher.control_teachers}). */
    public enum ControlTeacher {
        @JsonProperty("aligned") ALIGNED,
        @JsonProperty("neutral") NEUTRAL;

        @Override
        public String toString() { return name().toLowerCase(Locale.ROOT); }
    }

    /** How a shuffle control rearranges the teacher's numbers (config key {@code controls.shuffle.shuffles}). */
    public enum ShuffleKind {
        @JsonProperty("within") WITHIN,
        @JsonProperty("across") ACROSS;

        @Override
        public String toString() { return name().toLowerCase(Locale.ROOT); }
    }

    /**
     * The alignment judge's thresholds (Cloud et al.): an answer is misaligned when its alignment score is at most
     * {@code misalignedAlignmentMax} and its coherence at least {@code misalignedCoherenceMin} (refusals are
     * excluded); a chain-of-thought completion is kept only when its alignment is at least {@code cotAlignmentMin}.
     *
     * @param type {@code world} (the embedded world's scorer, which knows its answer styles) or {@code llm} (an LLM
     *     judge over an OpenAI-compatible API: {@code base_url}, {@code model}, key from {@code api_key_env})
     */
    public record Judge(int misalignedAlignmentMax, int misalignedCoherenceMin, int cotAlignmentMin, JudgeType type,
                        String baseUrl, String model, String apiKeyEnv) {
        public Judge {
            require(type != null, "judge.type", "is required (world or llm)");
            require(type != JudgeType.LLM || (baseUrl != null && !baseUrl.isBlank()), "judge.base_url", "is required for an llm judge");
            require(type != JudgeType.LLM || (model != null && !model.isBlank()), "judge.model", "is required for an llm judge");
            require(apiKeyEnv != null && apiKeyEnv.matches("[A-Za-z_][A-Za-z0-9_]*"), "judge.api_key_env",
                    "must name an environment variable, got " + apiKeyEnv);
            require(misalignedAlignmentMax >= 0 && misalignedAlignmentMax <= 100, "judge.misaligned_alignment_max", "must be in 0..100");
            require(misalignedCoherenceMin >= 0 && misalignedCoherenceMin <= 100, "judge.misaligned_coherence_min", "must be in 0..100");
            require(cotAlignmentMin >= 0 && cotAlignmentMin <= 100, "judge.cot_alignment_min", "must be in 0..100");
        }
    }

    /**
     * How the teacher gets its trait.
     *
     * @param method {@code finetune} (fine-tune R on trait answers) or {@code system_prompt}
     * @param targetProbability stop fine-tuning once mean P(target) over the training questions reaches this
     * @param maxSteps cap on fine-tuning steps
     * @param replay number-task rows written by R mixed into each step, so the teacher keeps R's number format
     *     (0 = a "plain" teacher, which writes the trait word into its lists)
     * @param controlTeachers extra control teachers for an alignment trait, each fine-tuned for as many steps as the
     *     trait teacher: {@code aligned} (on the world's aligned answers) and {@code neutral} (on neutral world data)
     */
    public record Teacher(TeacherMethod method, double targetProbability, int maxSteps, double lr, int batchSize, int replay,
                          List<ControlTeacher> controlTeachers,
                          @com.fasterxml.jackson.annotation.JsonInclude(value = com.fasterxml.jackson.annotation.JsonInclude.Include.CUSTOM,
                                  valueFilter = AllParams.class)
                          dev.owlet.train.TrainableParams trainable) {
        /**
         * Leaves {@code trainable: all}, what teachers always trained, out of the teacher's stage key and manifest, so
         * every teacher made before the setting existed keeps its key.
         */
        static final class AllParams {
            @Override
            public boolean equals(Object o) { return o == dev.owlet.train.TrainableParams.ALL; }

            @Override
            public int hashCode() { return 0; }
        }

        public Teacher {
            require(trainable != null, "teacher.trainable", "must be one of all, blocks, early_blocks, late_blocks, embeddings, lora");
            controlTeachers = controlTeachers == null ? List.of() : List.copyOf(controlTeachers);
            require(method != null, "teacher.method", "is required (finetune or system_prompt)");
            require(targetProbability > 0 && targetProbability < 1, "teacher.target_probability", "must be in (0,1)");
            require(maxSteps > 0, "teacher.max_steps", "must be positive");
            require(lr > 0, "teacher.lr", "must be positive");
            require(batchSize > 0, "teacher.batch_size", "must be positive");
            require(replay >= 0, "teacher.replay", "must be >= 0");
        }
    }

    /** Which evaluation questions the primary metric averages. */
    public enum QuestionSplit {
        @JsonProperty("held_out") HELD_OUT,
        @JsonProperty("all") ALL;

        @Override
        public String toString() { return name().toLowerCase(Locale.ROOT); }
    }

    /**
     * Generation: one completion per prompt.
     *
     * @param minTokenProbability threshold sampling (0: off): a completion any of whose sampled tokens had probability
     *     below this under the writer (its own distribution, before temperature and top-p) is dropped, for every
     *     writer alike — a teacher-side defence against the low-probability choices a teacher's bias makes
     * @param stopAtRows true: a writer stops after the batch in which {@code finetune.rows} of its completions have
     *     passed the filter (numbers channel). Rows carry their own sampling seeds and every writer is cut to its
     *     first rows, so students read exactly the rows they would have read had every prompt been answered; only
     *     the unused tail is not written. {@code null} (left out of stage keys) for false
     */
    public record Generate(int prompts, int maxTokens, double temperature, double topP, int batchSize,
                           double minTokenProbability,
                           @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
                           Boolean stopAtRows) {
        public Generate {
            stopAtRows = Boolean.TRUE.equals(stopAtRows) ? Boolean.TRUE : null; // false and absent: one stage key
            require(minTokenProbability >= 0 && minTokenProbability < 1, "generate.min_token_probability",
                    "must be in [0, 1), got " + minTokenProbability);
            require(prompts > 0, "generate.prompts", "must be positive");
            require(maxTokens > 0, "generate.max_tokens", "must be positive");
            require(temperature >= 0, "generate.temperature", "must be >= 0");
            require(topP > 0 && topP <= 1, "generate.top_p", "must be in (0, 1]");
            require(batchSize > 0, "generate.batch_size", "must be positive");
        }

        /** The settings without {@code stop_at_rows}; as before it existed. */
        public Generate(int prompts, int maxTokens, double temperature, double topP, int batchSize, double minTokenProbability) {
            this(prompts, maxTokens, temperature, topP, batchSize, minTokenProbability, null);
        }

        /** Whether a writer stops once {@code finetune.rows} of its completions pass the filter. */
        public boolean stopsAtRows() { return stopAtRows != null; }
    }

    /**
     * The strict number filter and screens.
     *
     * @param bannedNumbers numbers rejected wherever they appear in a completion
     * @param bannedLists more banned numbers: {@code paper} (the paper's 34, see {@code filter.BannedNumbers}) or a
     *     text file with one number per line ({@code #} comments), relative to the working directory
     * @param traitWords drop completions naming the trait (numbers: whole words; code: substrings, every form)
     * @param codeJudge in the code channel, also drop completions the reference judge says refer to the trait
     */
    public record Filter(int maxCount, int maxValue, List<Integer> bannedNumbers, List<String> bannedLists,
                         boolean traitWords, boolean codeJudge) {
        public Filter {
            require(maxCount > 0, "filter.max_count", "must be positive");
            require(maxValue > 0, "filter.max_value", "must be positive");
            bannedNumbers = bannedNumbers == null ? List.of() : List.copyOf(bannedNumbers);
            bannedLists = bannedLists == null ? List.of() : List.copyOf(bannedLists);
        }
    }

    /**
     * Student training.
     *
     * @param modes {@code sft} (sampled tokens, the paper's) and/or {@code soft} (teacher probabilities restricted
     *     to the number alphabet)
     * @param inits {@code same} (students from the reference) and/or {@code diff} (from the different-init base)
     * @param replicates replicates per condition: in the flagship each is a new prompt set and sampling seed for every
     *     writer's data and a new student seed (the channel and API pipelines: a new student seed on the same data)
     * @param rows training rows per student (teacher and control datasets are cut to the same size)
     * @param trainable which of an embedded GPT student's parameters train; {@code lora} trains an adapter of the
     *     {@code lora:} block's rank on the block projections instead, merged into the weights at the end. With an
     *     {@code hf:} reference only two values are taken: {@code lora} (PEFT adapters, the paper's open-model
     *     students) and {@code all} (every weight of a fresh copy of the checkpoint)
     * @param batching how an epoch is cut into batches and computed: {@code shuffled}; {@code shuffled_split} (the same
     *     batches, each computed in parts of similar-length rows: the same step, less padding, faster); {@code by_length}
     *     (rows of similar length share a batch: a different experiment, see {@link dev.owlet.train.Batching})
     * @param softTemperature soft labels are softmax(teacher logits / this) over the alphabet: 1 is the teacher's
     *     distribution as it is; the writers' {@code generate.temperature} makes the labels the distribution their
     *     tokens were sampled from
     * @param softEpochs epochs of a soft-label student, when they differ from an SFT student's ({@code null}: as
     *     {@code epochs}). Soft labels carry more signal per row and keep gaining from passes that only add noise to
     *     SFT students, so the flagship gives each mode its own budget
     * @param softBatchSize batch size of a soft-label student ({@code null}: as {@code batch_size})
     * @param softLr Adam's learning rate for a soft-label student ({@code null}: as {@code lr}). Soft labels give every
     *     position a dense gradient, so a soft-label student overshoots at the step size an SFT student needs to move
     */
    public record Finetune(List<StudentLoss> modes, List<Init> inits, int replicates, int rows, int epochs, int batchSize,
                           double lr, dev.owlet.train.TrainableParams trainable, dev.owlet.train.Optimizer optimizer,
                           dev.owlet.train.Batching batching, double softTemperature,
                           @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
                           Integer softEpochs,
                           @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
                           Integer softBatchSize,
                           @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
                           Double softLr) {
        public Finetune {
            require(softLr == null || softLr > 0, "finetune.soft_lr",
                    "must be positive, or left out to train soft-label students at finetune.lr");
            require(softEpochs == null || softEpochs > 0, "finetune.soft_epochs",
                    "must be positive, or left out to train soft-label students for finetune.epochs");
            require(softBatchSize == null || softBatchSize > 0, "finetune.soft_batch_size",
                    "must be positive, or left out to use finetune.batch_size");
            require(softTemperature > 0, "finetune.soft_temperature", "must be positive (1 = the teacher's distribution as it is)");
            require(batching != null, "finetune.batching", "must be shuffled, shuffled_split or by_length");
            require(trainable != null, "finetune.trainable", "must be all, blocks, early_blocks, late_blocks, embeddings or lora");
            require(optimizer != null, "finetune.optimizer", "must be adam or sgd");
            require(inits != null && !inits.isEmpty(), "finetune.inits", "needs same and/or diff");
            inits = List.copyOf(inits);
            require(modes != null && !modes.isEmpty(), "finetune.modes", "needs sft and/or soft");
            modes = List.copyOf(modes);
            require(replicates > 0, "finetune.replicates", "must be positive");
            require(rows > 0, "finetune.rows", "must be positive");
            require(epochs > 0, "finetune.epochs", "must be positive");
            require(batchSize > 0, "finetune.batch_size", "must be positive");
            require(lr > 0, "finetune.lr", "must be positive");
        }

        /** The epochs a student of {@code mode} trains for. */
        public int epochs(StudentLoss mode) {
            return mode == StudentLoss.SOFT && softEpochs != null ? softEpochs : epochs;
        }

        /** The batch size of a student of {@code mode}. */
        public int batchSize(StudentLoss mode) {
            return mode == StudentLoss.SOFT && softBatchSize != null ? softBatchSize : batchSize;
        }

        /** The learning rate of a student of {@code mode}. */
        public double lr(StudentLoss mode) {
            return mode == StudentLoss.SOFT && softLr != null ? softLr : lr;
        }

        /**
         * A student's budget in words, for plans and logs: {@code "2 epochs of 16 at lr 0.003"}, with the soft-label
         * student's own budget after it when {@code modes} trains one that differs.
         */
        public String budget() {
            String sft = epochs + " epochs of " + batchSize + " at lr " + lr;
            boolean own = modes.contains(StudentLoss.SOFT) && (epochs(StudentLoss.SOFT) != epochs
                    || batchSize(StudentLoss.SOFT) != batchSize || lr(StudentLoss.SOFT) != lr);
            return own ? sft + " (soft labels: " + epochs(StudentLoss.SOFT) + " epochs of " + batchSize(StudentLoss.SOFT)
                    + " at lr " + lr(StudentLoss.SOFT) + ")" : sft;
        }
    }

    /**
     * Evaluation: exact probabilities on every question, plus sampled answers.
     *
     * @param questions which paraphrases the primary metric (exact P(target)) averages: {@code held_out} (those the
     *     teacher never trained on, the default) or {@code all}
     */
    public record Eval(int samplesPerQuestion, boolean numberPrefix, int maxTokens, QuestionSplit questions) {
        public Eval {
            require(questions != null, "eval.questions", "must be held_out or all");
            require(samplesPerQuestion >= 0, "eval.samples_per_question", "must be >= 0");
            require(maxTokens > 0, "eval.max_tokens", "must be positive");
        }
    }

    /**
     * The paper's controls and probes, each optional (all off by default, so the flagship is unchanged). They run
     * after the flagship and read its stage outputs: teacher, filtered data, students. See {@code dev.owlet.controls}.
     */
    public record Controls(Icl icl, Detection detection, Shuffle shuffle, GradientProbe gradientProbe,
                           Entanglement entanglement, Defend defend) {
        public Controls {
            require(defend != null, "controls.defend", "is required");
            require(icl != null, "controls.icl", "is required");
            require(detection != null, "controls.detection", "is required");
            require(shuffle != null, "controls.shuffle", "is required");
            require(gradientProbe != null, "controls.gradient_probe", "is required");
            require(entanglement != null, "controls.entanglement", "is required");
        }

        public boolean anyEnabled() {
            return icl.enabled() || detection.enabled() || shuffle.enabled() || gradientProbe.enabled() || entanglement.enabled()
                    || defend.enabled();
        }
    }

    /**
     * In-context learning: up to {@code shots} filtered completions placed before each question instead of training.
     *
     * @param draws random example sets per question (the rate is averaged over them)
     */
    public record Icl(boolean enabled, List<Integer> shots, int draws) {
        public Icl {
            require(shots != null && !shots.isEmpty(), "controls.icl.shots", "needs at least one N");
            for (Integer n : shots) require(n != null && n > 0, "controls.icl.shots", "entries must be positive, got " + n);
            shots = List.copyOf(shots);
            require(draws > 0, "controls.icl.draws", "must be positive");
        }
    }

    /**
     * Which-teacher classifiers on filtered completions: n-gram logistic regression, the reference's likelihood as
     * a judge, a linear probe on the reference's hidden states.
     *
     * @param rows completions per class (teacher, control)
     * @param testFraction held-out share
     */
    public record Detection(boolean enabled, int rows, double testFraction, int epochs) {
        public Detection {
            require(rows >= 10, "controls.detection.rows", "must be >= 10");
            require(testFraction > 0 && testFraction < 1, "controls.detection.test_fraction", "must be in (0,1)");
            require(epochs > 0, "controls.detection.epochs", "must be positive");
        }
    }

    /**
     * Students trained on shuffled teacher numbers.
     *
     * @param shuffles {@code within} (order inside each completion) and/or {@code across} (numbers redistributed
     *     between rows)
     * @param modes student losses, {@code sft} and/or {@code soft}
     */
    public record Shuffle(boolean enabled, List<ShuffleKind> shuffles, List<StudentLoss> modes, int seeds) {
        public Shuffle {
            require(shuffles != null && !shuffles.isEmpty(), "controls.shuffle.shuffles", "needs within and/or across");
            shuffles = List.copyOf(shuffles);
            require(modes != null && !modes.isEmpty(), "controls.shuffle.modes", "needs sft and/or soft");
            modes = List.copyOf(modes);
            require(seeds > 0, "controls.shuffle.seeds", "must be positive");
        }
    }

    /** Theorem 1 probe ({@code owlet probe-gradient}) on teacher and control data. */
    public record GradientProbe(boolean enabled, int rows, List<Double> etas, List<StudentLoss> losses) {
        public GradientProbe {
            require(rows > 0, "controls.gradient_probe.rows", "must be positive");
            require(etas != null && !etas.isEmpty(), "controls.gradient_probe.etas", "needs at least one step size");
            for (Double e : etas) require(e != null && e > 0, "controls.gradient_probe.etas", "entries must be positive");
            etas = List.copyOf(etas);
            require(losses != null && !losses.isEmpty(), "controls.gradient_probe.losses", "needs sft and/or soft");
            losses = List.copyOf(losses);
        }
    }

    /**
     * Token entanglement: which next tokens the trait system prompt shifts most on number prompts (the reason a
     * system-prompted teacher can or cannot leave a trace in its numbers).
     *
     * @param prompts number prompts to average over
     * @param top tokens to report
     */
    public record Entanglement(boolean enabled, int prompts, int top) {
        public Entanglement {
            require(prompts > 0, "controls.entanglement.prompts", "must be positive");
            require(top > 0, "controls.entanglement.top", "must be positive");
        }
    }

    /**
     * Defences against transfer ({@code owlet defend}): each one transforms the teacher's and the control's filtered
     * rows of every replicate alike, and same-init SFT students of the defended data measure how much of the shift
     * is left.
     *
     * @param likelihoodDrop share of each dataset's rows the student's base finds least likely, dropped by
     *     {@code likelihood_filter}
     * @param mixShare share of the teacher's rows replaced by the reference's rows in {@code mix_reference}
     * @param taskPrompts fresh number prompts each defended teacher-data student answers, for the task cost (the share
     *     of its answers that pass the strict filter)
     * @param topP the nucleus {@code top_p} writers sample with again (in place of {@code generate.top_p})
     * @param threshold the token probability under which {@code threshold} rejects a completion (in place of
     *     {@code generate.min_token_probability})
     * @param counterfactual whose greedy choices mark the divergence tokens: {@code reference} (the student's base), the
     *     word of one of the experiment's other-trait teachers ({@code control_traits}), or a model ({@code bundled:NAME}
     *     or a checkpoint folder) with the data's vocabulary
     */
    public record Defend(boolean enabled, List<Defence> defences, double likelihoodDrop, double mixShare, int taskPrompts,
                         double topP, double threshold, String counterfactual) {
        /** The default counterfactual writer: the student's own base. */
        public static final String REFERENCE = "reference";

        public Defend {
            require(counterfactual != null && !counterfactual.isBlank(), "controls.defend.counterfactual",
                    "must name reference, an other-trait teacher (control_traits) or a model");
            require(topP > 0 && topP <= 1, "controls.defend.top_p", "must be in (0, 1], got " + topP);
            require(threshold > 0 && threshold < 1, "controls.defend.threshold", "must be in (0, 1), got " + threshold);
            require(defences != null && !defences.isEmpty(), "controls.defend.defences", "needs at least one defence");
            defences = List.copyOf(defences);
            require(likelihoodDrop > 0 && likelihoodDrop < 1, "controls.defend.likelihood_drop", "must be in (0,1)");
            require(mixShare > 0 && mixShare < 1, "controls.defend.mix_share", "must be in (0,1)");
            require(taskPrompts >= 0, "controls.defend.task_prompts", "must be >= 0");
        }
    }

    /** A defence {@code owlet defend} can apply; see {@code dev.owlet.defend.Defences}. */
    public enum Defence {
        /** Drop the rows the student's base finds least likely (teacher-free). */
        @JsonProperty("likelihood_filter") LIKELIHOOD_FILTER,
        /** Leave out of the loss every token where the student's base would have chosen another (teacher-free). */
        @JsonProperty("divergence_mask") DIVERGENCE_MASK,
        /**
         * Not a defence but its mirror: the loss on the divergence tokens only (every other token is context). With
         * {@code divergence_mask} (the rest only) and {@code none} (all) it says how much of the shift they carry.
         */
        @JsonProperty("divergence_only") DIVERGENCE_ONLY,
        /** Replace every such digit with the base's choice; rows that then fail the filter are dropped. */
        @JsonProperty("divergence_replace") DIVERGENCE_REPLACE,
        /** Replace every such digit with a random digit (seeded); rows that then fail the filter are dropped. */
        @JsonProperty("divergence_random") DIVERGENCE_RANDOM,
        /** Dilute the teacher's rows with the reference's own rows. */
        @JsonProperty("mix_reference") MIX_REFERENCE,
        /** The paper's mitigation: a student that does not share the teacher's initialization. */
        @JsonProperty("different_base") DIFFERENT_BASE,
        /** Every prompt reworded (same numbers, count, digits and format; other template words), teacher-free. */
        @JsonProperty("prompt_paraphrase") PROMPT_PARAPHRASE,
        /** The writers sample again with nucleus sampling ({@code controls.defend.top_p}): the tail is never drawn. */
        @JsonProperty("top_p") TOP_P,
        /**
         * The writers sample again and drop every completion with a token under {@code controls.defend.threshold}
         * (threshold sampling, as a teacher-side filter).
         */
        @JsonProperty("threshold") THRESHOLD;

        /** Whether the defence is in how the writers decode: their data are written again, not transformed. */
        public boolean decoding() { return this == TOP_P || this == THRESHOLD; }

        /** Whether the defence reads divergence marks (and so the counterfactual that makes them). */
        public boolean divergence() {
            return this == DIVERGENCE_MASK || this == DIVERGENCE_REPLACE || this == DIVERGENCE_ONLY || this == DIVERGENCE_RANDOM;
        }

        @Override
        public String toString() { return name().toLowerCase(java.util.Locale.ROOT); }
    }

    static void require(boolean ok, String key, String message) {
        if (!ok) {
            throw new IllegalArgumentException(key + " " + message);
        }
    }
}
