package dev.owlet.controls;

import dev.owlet.eval.TraitResult;
import dev.owlet.experiment.ExperimentConfig;
import dev.owlet.model.Checkpoint;
import dev.owlet.model.Gpt;
import dev.owlet.data.DataRow;
import dev.owlet.world.Category;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;

/**
 * What every control reads from the flagship: the reference, the teacher (a fine-tuned checkpoint, or the
 * reference under a system prompt), the filtered teacher and control rows cut to the students' size, and the
 * flagship's per-model evaluations (empty when the flagship stopped before students).
 *
 * @param teacherId identity of the teacher for cache keys (its weights' hash, plus the system prompt if any)
 * @param dataKey identity of the two datasets for cache keys
 */
public record ControlContext(ExperimentConfig cfg, Path out, ExperimentConfig.Trait trait, Category category,
                             List<String> words, Checkpoint.Loaded ref, Gpt teacher, String teacherSystem,
                             String teacherId, List<DataRow> teacherRows, List<DataRow> controlRows, String dataKey,
                             TraitResult flagship, PrintStream log) {
    public String tag() { return trait.target(); }

    public int targetId() { return ref.tokenizer().id(trait.target()); }
}
