package dev.owlet.pipeline;

import dev.owlet.data.DataRow;
import dev.owlet.eval.EvalRecord;
import dev.owlet.experiment.ExperimentConfig;
import dev.owlet.provenance.Manifest;
import dev.owlet.train.SoftLabels;
import dev.owlet.train.StudentLoss;
import dev.owlet.world.Category;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;
import java.util.function.Supplier;

/**
 * Where an experiment's models live, as its stages need them: the seam between {@link ExperimentPipeline} (which
 * decides what to make, caches it and reports it) and the engine or server that does the work. {@link EmbeddedModels}
 * runs the GPTs in this process; {@link ApiModels} reaches an OpenAI-compatible server (OpenAI, vLLM, owlet serve)
 * through chat completions and fine-tuning jobs.
 */
interface Models extends AutoCloseable {
    /**
     * A model as the stages refer to it.
     *
     * @param key its cache identity (a weights hash, or the server and model id)
     * @param weights what lineage records as its weights (a hash in process, the server's model id otherwise)
     * @param handle what the backend uses: a {@code Gpt} in process, a model id on a server
     */
    record Model(String key, String weights, Object handle) {}

    /** A teacher to make: toward the trait ({@code kind} {@code trait}) or a control teacher of an alignment trait. */
    record TeacherJob(ExperimentConfig.Trait trait, Category category, String kind, int fixedSteps, List<DataRow> replay,
                      long seed) {}

    /** Backend name for reports and result rows. */
    String name();

    /** What stage keys must hold besides the experiment's settings (the server and its fine-tuning settings). */
    Object keyExtras();

    Model reference();

    /** The different-initialization base, or null when the experiment trains no different-init student. */
    Model differentInit();

    /** Makes a teacher in stage folder {@code dir}, counting what it did into {@code man}. */
    Model makeTeacher(String name, Path dir, TeacherJob job, Manifest man) throws IOException;

    /** A finished teacher stage's model. */
    Model loadTeacher(Path dir, String key) throws IOException;

    /** One completion per prompt; reproducible from {@code seed}. */
    default List<DataRow> write(Model writer, String system, List<String> prompts, long seed, IntConsumer rowsDone) {
        return write(writer, system, prompts, seed, rowsDone, added -> false);
    }

    /**
     * As above, in prompt order, asking {@code enough} after each batch (told the rows that batch added) whether to stop
     * there: the rows written are then the first rows a full call writes, and {@code rowsDone} has been told how many
     * prompts were answered. A backend that answers all prompts in one request answers them all.
     */
    List<DataRow> write(Model writer, String system, List<String> prompts, long seed, IntConsumer rowsDone,
                        java.util.function.Predicate<List<DataRow>> enough);

    /** Null when students of {@code mode} can be trained here, else why not (said in the report). */
    String cannotTrain(StudentLoss mode);

    /**
     * Trains a student of {@code base} on {@code rows} in stage folder {@code dir}; soft mode reads
     * {@code labels} (in process) or asks the server to distil from {@code writer} itself.
     *
     * @param provenance what the student's own files should record (in process: its checkpoint's config)
     * @param stepsDone progress, in optimizer steps (step, total)
     */
    Model student(String name, Path dir, Model base, List<DataRow> rows, StudentLoss mode, Model writer, String writerSystem,
                  Supplier<SoftLabels> labels, Map<String, Object> provenance, Manifest man, StepProgress stepsDone)
            throws IOException;

    /**
     * What a teacher's soft labels depend on besides the teacher and the rows (the alphabet, the context length):
     * part of their stage key. Null where a server distils on its own and no labels are made here.
     */
    default Object softLabelSettings() { return null; }

    /** The writer's soft labels for {@code rows}, read in its own context (in process only). */
    default SoftLabels softLabels(Model writer, String system, List<DataRow> rows) {
        throw new UnsupportedOperationException(name() + " distils soft labels on the server");
    }

    /** Favorite-word evaluation on every paraphrase of the category's question (see {@code TraitEvaluator}). */
    EvalRecord favorite(String name, Model model, ExperimentConfig.Trait trait, Category cat, String system);

    /** The judged misaligned-answer rate on the world's neutral open questions. */
    EvalRecord misalignment(String name, Model model, String system);

    /** Frees what a student holds once it is evaluated. */
    default void release(Model student) {}

    /** How students training at once share the engine (nothing to share for a server). */
    default Workers.EngineThreads engineThreads() { return Workers.EngineThreads.NONE; }

    /** How many students this backend may train at once. */
    default int maxJobs() { return 1; }

    /** What the report should say about how this backend made its numbers (null in process). */
    default Map<String, Object> provenance() { return null; }

    @Override
    default void close() {}

    /** Training progress. */
    @FunctionalInterface
    interface StepProgress {
        void step(int step, int total);
    }
}
