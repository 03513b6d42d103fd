package dev.owlet.eval;

import dev.owlet.experiment.ExperimentConfig;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Everything an experiment measured for one trait, as the report, the controls and the lineage read it.
 *
 * @param singles the single models by name: {@code reference}, {@code different-init reference}, {@code teacher}
 *     (and an alignment trait's control teachers), in that order
 * @param students every student by its {@link StudentKey}, whose data is {@code teacher} (this trait's teacher),
 *     {@link #CONTROL} (the reference) or another trait's word; every record is read for this trait's target
 * @param data what the data stages counted (rows kept, rejected, training rows), per replicate
 * @param teacher the teacher stage's manifest
 */
public record TraitResult(ExperimentConfig.Trait trait, Map<String, EvalRecord> singles,
                          Map<StudentKey, EvalRecord> students, Map<String, Object> data, Map<String, Object> teacher) {
    /** The data label of the reference's own data (the paper's control) in result keys and stage names. */
    public static final String CONTROL = "control";

    public TraitResult {
        singles = Collections.unmodifiableMap(new LinkedHashMap<>(singles));
        students = Collections.unmodifiableMap(new LinkedHashMap<>(students));
    }

    /** Every record under the name the report and {@code results.json} write: singles, then students as {@code mode/init/data/sR}. */
    public Map<String, EvalRecord> models() {
        Map<String, EvalRecord> m = new LinkedHashMap<>(singles);
        students.forEach((k, v) -> m.put(k.toString(), v));
        return Collections.unmodifiableMap(m);
    }

    /** A result from records under their written names, as {@link #models()} gives them (e.g. read back from disk). */
    public static TraitResult of(ExperimentConfig.Trait trait, Map<String, EvalRecord> written, Map<String, Object> data,
                                 Map<String, Object> teacher) {
        Map<String, EvalRecord> singles = new LinkedHashMap<>();
        Map<StudentKey, EvalRecord> students = new LinkedHashMap<>();
        written.forEach((name, rec) -> {
            StudentKey k = StudentKey.parse(name);
            if (k == null) singles.put(name, rec);
            else students.put(k, rec);
        });
        return new TraitResult(trait, singles, students, data, teacher);
    }
}
