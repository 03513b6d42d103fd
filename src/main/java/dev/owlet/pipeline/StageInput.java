package dev.owlet.pipeline;

import dev.owlet.experiment.Channel;
import dev.owlet.experiment.ExperimentConfig;
import dev.owlet.provenance.StageCache;
import dev.owlet.train.StudentLoss;
import dev.owlet.train.TrainableParams;
import dev.owlet.world.Category;
import java.util.List;

/**
 * What each kind of stage reads, as one immutable record. A stage's cache key is the hash of its whole record
 * ({@link #key()}), so a stage cannot read an input its key leaves out without first adding it here — the way
 * the seed and the filter's {@code max_count} once went missing from hand-assembled keys.
 *
 * <p>Upstream artifacts enter by their stage keys or content digests, stripped of the code version (which is each
 * key's own suffix, so a stage kept by {@code --reuse-stale} does not change the inputs of what reads it); files
 * named in the config enter by their content (the banned numbers themselves, not the list's file name); the code
 * version that computes the stage is appended by {@link StageCache#key}. {@code backend} is what the models' backend
 * adds ({@link Models#keyExtras()}): "embedded", or the server and model names.
 */
sealed interface StageInput {

    /** The stage kind that prefixes the hashed text ("teacher", "generate", ...). */
    String stage();

    default String key() {
        return StageCache.key(stage(), this);
    }

    /**
     * A teacher: a trait's ({@code control} null, {@code steps} 0: trained to the target probability) or an
     * alignment trait's control teacher, trained for exactly the trait teacher's {@code steps}.
     */
    record Teacher(ExperimentConfig.Teacher teacher, ExperimentConfig.Trait trait, ExperimentConfig.ControlTeacher control,
                   int steps, Channel channel, int maxTokens, long seed, Object backend, String reference,
                   @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
                   ExperimentConfig.Lora lora)
            implements StageInput {
        /** A teacher's inputs; the {@code lora:} block enters only for a LoRA teacher ({@code teacher.trainable: lora}). */
        Teacher(ExperimentConfig cfg, ExperimentConfig.Trait trait, ExperimentConfig.ControlTeacher control, int steps,
                Object backend, String reference) {
            this(cfg.teacher(), trait, control, steps, cfg.channel(), cfg.generate().maxTokens(), cfg.seed(), backend, reference,
                    cfg.teacher().trainable() == dev.owlet.train.TrainableParams.LORA ? cfg.lora() : null);
        }

        public Teacher {
            reference = StageCache.upstream(reference);
        }

        public String stage() { return "teacher"; }
    }

    /**
     * One writer's completions of replicate {@code replicate}'s prompts. The prompts depend on the seed, the
     * replicate, the channel and the filter's {@code max_count} (number prompts ask for at most that many values).
     */
    record Generate(ExperimentConfig.Generate generate, long seed, int replicate, int maxCount, Channel channel,
                    Object backend, String writer,
                    @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
                    StopAt stopAt) implements StageInput {
        public Generate {
            writer = StageCache.upstream(writer);
        }

        /** A writer that answers every prompt (no {@code stop_at_rows}): the key it has always had. */
        Generate(ExperimentConfig.Generate generate, long seed, int replicate, int maxCount, Channel channel, Object backend,
                 String writer) {
            this(generate, seed, replicate, maxCount, channel, backend, writer, null);
        }

        public String stage() { return "generate"; }
    }

    /**
     * When a writer with {@code generate.stop_at_rows} stops: once {@code rows} of its completions pass {@code filter}
     * with these screened words and banned numbers. All of it decides how many prompts it answers.
     */
    record StopAt(int rows, ExperimentConfig.Filter filter, List<String> screenedWords, List<Integer> banned) {
        public StopAt {
            screenedWords = List.copyOf(screenedWords);
            banned = banned.stream().sorted().toList();
        }
    }

    /** The channel's filter over one generation ({@code raw}: the generated file's SHA-256). */
    record Filter(ExperimentConfig.Filter filter, Channel channel, Object judges, List<String> screenedWords,
                  List<Integer> banned, String raw) implements StageInput {
        public Filter {
            screenedWords = List.copyOf(screenedWords);
            banned = banned.stream().sorted().toList(); // an immutable Set's order changes from run to run
        }

        public String stage() { return "filter"; }
    }

    /**
     * One student: trained from {@code base} on {@code rows} filtered rows written by {@code writer}, then evaluated
     * on every question category the experiment asks (and the judged alignment questions when {@code judge} is set).
     */
    record Student(Settings settings, ExperimentConfig.Eval eval, StudentLoss mode, int replicate, int rows, long seed,
                   List<Category> categories, Channel channel, Object judge, Object backend, String base, String writer,
                   String rowsDigest) implements StageInput {
        public Student {
            categories = List.copyOf(categories);
            base = StageCache.upstream(base);
            writer = StageCache.upstream(writer);
        }

        public String stage() { return "student"; }
    }

    /**
     * What one student reads of {@code finetune}: not the lists of modes and inits or the replicate count, which
     * decide which students exist, so adding a replicate or a mode reuses every student already trained. {@code lora}
     * is the adapter's configuration (rank, alpha, targets, dropout) of a {@code trainable: lora} student and null
     * otherwise; a null is left out of the hashed text, so students that train no adapter keep the keys they had
     * before adapters existed.
     */
    record Settings(int epochs, int batchSize, double lr, TrainableParams trainable, dev.owlet.train.Optimizer optimizer,
                    @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
                    dev.owlet.train.Batching batching,
                    @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
                    ExperimentConfig.Lora lora,
                    @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
                    Double softTemperature) {
        public Settings {
            if ((trainable == TrainableParams.LORA) != (lora != null)) {
                throw new IllegalArgumentException("a lora student's settings carry its adapter, and only those");
            }
        }

        /**
         * Shuffled batches (the default) and no adapter leave the key as it was before either was a setting: old runs
         * stay reusable.
         */
        static Settings of(ExperimentConfig.Finetune f, ExperimentConfig.Lora lora) {
            return of(f, lora, StudentLoss.SFT);
        }

        /**
         * As above for a student of {@code mode}: its own epochs, batch size and learning rate ({@code
         * finetune.soft_epochs}, {@code soft_batch_size} and {@code soft_lr} for a soft-label student, so the key holds
         * what it trained with), and for a
         * soft-label student the labels' temperature, in its key only when it is not 1 (so soft-label students trained
         * before the setting existed keep their keys).
         */
        static Settings of(ExperimentConfig.Finetune f, ExperimentConfig.Lora lora, StudentLoss mode) {
            return new Settings(f.epochs(mode), f.batchSize(mode), f.lr(mode), f.trainable(), f.optimizer(),
                    f.batching() == dev.owlet.train.Batching.SHUFFLED ? null : f.batching(),
                    f.trainable() == TrainableParams.LORA ? lora : null,
                    mode == StudentLoss.SOFT && f.softTemperature() != 1.0 ? f.softTemperature() : null);
        }

        /**
         * An {@code hf:} experiment's settings: which kind of student trains (LoRA with its adapter settings, or every
         * weight) is in the backend's part of every key ({@code HfModels.keyExtras}), where the adapter settings were
         * before {@code finetune.trainable} chose between the two. So here it reads {@code trainable} as {@code all}
         * and no adapter whichever it is: LoRA students trained before the choice existed (with the default
         * {@code all}) keep their keys, and the two kinds still never share one.
         */
        static Settings ofHf(ExperimentConfig.Finetune f) {
            return new Settings(f.epochs(), f.batchSize(), f.lr(), TrainableParams.ALL, f.optimizer(),
                    f.batching() == dev.owlet.train.Batching.SHUFFLED ? null : f.batching(), null, null);
        }
    }

    /** A writer's soft labels over one replicate's rows, shared by the same-init and different-init students. */
    record Labels(Object settings, String writer, String rowsDigest) implements StageInput {
        public Labels {
            writer = StageCache.upstream(writer);
        }

        public String stage() { return "labels"; }
    }

    /** One evaluation of a model that is not a student (reference, teachers) for one trait's target. */
    record Eval(ExperimentConfig.Eval eval, String target, long seed, Object judge, Object backend, String model)
            implements StageInput {
        public Eval {
            model = StageCache.upstream(model);
        }

        public String stage() { return "eval"; }
    }
}
