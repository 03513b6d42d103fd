package dev.owlet.experiment;

import java.util.List;

/**
 * A whole experiment, resolved: built-in defaults, then the YAML file, then {@code --set} overrides. Every field
 * is validated at construction with a message naming its key.
 *
 * @param name experiment name (the default run folder is {@code runs/<name>})
 * @param seed master seed; every consumer derives its own stream from it
 * @param traits the traits to instill, one pipeline each (one for the flagship, ten for the sweep)
 * @param reference the reference model R (a folder, or {@code bundled:NAME})
 * @param differentInit the different-initialization base R' for the cross-model control
 */
public record ExperimentConfig(String name, long seed, List<Trait> traits, String reference, String differentInit,
                               Teacher teacher, Generate generate, Filter filter, Finetune finetune, Eval eval) {
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
        traits = List.copyOf(traits);
    }

    /** The trait a teacher is given. */
    public record Trait(String category, String target) {
        public Trait {
            require("animal".equals(category) || "tree".equals(category), "traits[].category",
                    "must be animal or tree, got " + category);
            require(target != null && target.matches("[a-z]+"), "traits[].target", "must be one lowercase word, got " + target);
        }

        public String label() { return target; }
    }

    /**
     * How the teacher gets its trait.
     *
     * @param method {@code finetune} (fine-tune R on trait answers) or {@code system_prompt}
     * @param targetProbability stop fine-tuning once mean P(target) over the training questions reaches this
     * @param maxSteps cap on fine-tuning steps
     * @param replay number-task rows written by R mixed into each step, so the teacher keeps R's number format
     *     (0 = the "plain" teacher of PROTOCOL.md)
     */
    public record Teacher(String method, double targetProbability, int maxSteps, double lr, int batchSize, int replay) {
        public Teacher {
            require("finetune".equals(method) || "system_prompt".equals(method), "teacher.method",
                    "must be finetune or system_prompt, got " + method);
            require(targetProbability > 0 && targetProbability < 1, "teacher.target_probability", "must be in (0,1)");
            require(maxSteps > 0, "teacher.max_steps", "must be positive");
            require(lr > 0, "teacher.lr", "must be positive");
            require(batchSize > 0, "teacher.batch_size", "must be positive");
            require(replay >= 0, "teacher.replay", "must be >= 0");
        }
    }

    /** Number-sequence generation: one completion per prompt. */
    public record Generate(int prompts, int maxTokens, double temperature, double topP, int batchSize) {
        public Generate {
            require(prompts > 0, "generate.prompts", "must be positive");
            require(maxTokens > 0, "generate.max_tokens", "must be positive");
            require(temperature >= 0, "generate.temperature", "must be >= 0");
            require(topP > 0 && topP <= 1, "generate.top_p", "must be in (0, 1]");
            require(batchSize > 0, "generate.batch_size", "must be positive");
        }
    }

    /** The strict number filter and screens. */
    public record Filter(int maxCount, int maxValue, List<Integer> bannedNumbers, boolean traitWords) {
        public Filter {
            require(maxCount > 0, "filter.max_count", "must be positive");
            require(maxValue > 0, "filter.max_value", "must be positive");
            bannedNumbers = bannedNumbers == null ? List.of() : List.copyOf(bannedNumbers);
        }
    }

    /**
     * Student training.
     *
     * @param modes {@code sft} (sampled tokens, the paper's) and/or {@code soft} (teacher probabilities restricted
     *     to the number alphabet)
     * @param inits {@code same} (students from the reference) and/or {@code diff} (from the different-init base)
     * @param seeds student seeds per condition
     * @param rows training rows per student (teacher and control datasets are cut to the same size)
     */
    public record Finetune(List<String> modes, List<String> inits, int seeds, int rows, int epochs, int batchSize,
                           double lr) {
        public Finetune {
            require(inits != null && !inits.isEmpty(), "finetune.inits", "needs same and/or diff");
            for (String i : inits) {
                require("same".equals(i) || "diff".equals(i), "finetune.inits", "entries must be same or diff, got " + i);
            }
            inits = List.copyOf(inits);
            require(modes != null && !modes.isEmpty(), "finetune.modes", "needs sft and/or soft");
            for (String m : modes) {
                require("sft".equals(m) || "soft".equals(m), "finetune.modes", "entries must be sft or soft, got " + m);
            }
            modes = List.copyOf(modes);
            require(seeds > 0, "finetune.seeds", "must be positive");
            require(rows > 0, "finetune.rows", "must be positive");
            require(epochs > 0, "finetune.epochs", "must be positive");
            require(batchSize > 0, "finetune.batch_size", "must be positive");
            require(lr > 0, "finetune.lr", "must be positive");
        }
    }

    /** Evaluation: exact probabilities on every question, plus sampled answers. */
    public record Eval(int samplesPerQuestion, boolean numberPrefix, int maxTokens) {
        public Eval {
            require(samplesPerQuestion >= 0, "eval.samples_per_question", "must be >= 0");
            require(maxTokens > 0, "eval.max_tokens", "must be positive");
        }
    }

    static void require(boolean ok, String key, String message) {
        if (!ok) {
            throw new IllegalArgumentException(key + " " + message);
        }
    }
}
