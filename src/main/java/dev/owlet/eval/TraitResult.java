package dev.owlet.eval;

import dev.owlet.experiment.ExperimentConfig;
import java.util.Map;

/**
 * Everything an experiment measured for one trait, as the report, the controls and the lineage read it.
 *
 * @param models the single models ({@code reference}, {@code different-init reference}, {@code teacher}) and the
 *     students as {@code mode/init/data/sR}, where data is {@code teacher} (this trait's teacher), {@link #CONTROL}
 *     (the reference) or another trait's word, and R the replicate; every record is read for this trait's target
 * @param data what the data stages counted (rows kept, rejected, training rows), per replicate
 * @param teacher the teacher stage's manifest
 */
public record TraitResult(ExperimentConfig.Trait trait, Map<String, EvalRecord> models,
                          Map<String, Object> data, Map<String, Object> teacher) {
    /** The data label of the reference's own data (the paper's control) in result keys and stage names. */
    public static final String CONTROL = "control";
}
