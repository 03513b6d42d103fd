package dev.owlet.report;

import dev.owlet.eval.TraitResult;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.owlet.experiment.ExperimentConfig;
import dev.owlet.eval.EvalRecord;
import dev.owlet.pipeline.ExperimentPipeline;
import dev.owlet.stats.Stats;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The verdicts read the held-out questions only and test against the higher of the two controls. */
class EffectsTest {
    /** A record whose first two questions are training questions (huge values that must be ignored). */
    static EvalRecord rec(double heldOut) {
        double[] ex = {0.9, 0.9, heldOut, heldOut};
        return new EvalRecord("m", "owl", ex, new double[0], ex, 0, new double[0], Map.of(), 0,
                Map.of("owl", ex, "dolphin", new double[] {0.1, 0.1, 0.1, 0.1}), Map.of(), Map.of(), 2);
    }

    static TraitResult result(double[] teacher, double[] control, double[] other) {
        Map<String, EvalRecord> m = new LinkedHashMap<>();
        m.put("reference", rec(0.03));
        for (int r = 0; r < teacher.length; r++) {
            m.put("sft/same/teacher/s" + (r + 1), rec(teacher[r]));
            m.put("sft/same/control/s" + (r + 1), rec(control[r]));
            if (other != null) m.put("sft/same/dolphin/s" + (r + 1), rec(other[r]));
        }
        return TraitResult.of(new ExperimentConfig.Trait(ExperimentConfig.TraitCategory.ANIMAL, "owl"), m, Map.of(), Map.of());
    }

    @Test
    void comparesAgainstTheHigherControlOnHeldOutQuestions() {
        double[] t = {0.09, 0.10, 0.08, 0.11, 0.095};
        double[] c = {0.03, 0.031, 0.029, 0.032, 0.03};
        double[] o = {0.05, 0.045, 0.055, 0.05, 0.052};
        List<Effects.Effect> es = Effects.of(result(t, c, o));
        assertThat(es).hasSize(1);
        Effects.Effect e = es.get(0);
        assertThat(e.teacherRate()).isCloseTo(Stats.mean(t), within(1e-12)); // the 0.9 training questions are ignored
        assertThat(e.controlRate()).isCloseTo(Stats.mean(c), within(1e-12));
        assertThat(e.otherTraitRate()).isCloseTo(Stats.mean(o), within(1e-12));
        assertThat(e.against()).isEqualTo("other-trait students");
        assertThat(e.ratio()).isCloseTo(Stats.mean(t) / Stats.mean(o), within(1e-12));
        assertThat(e.p()).isCloseTo(Stats.welchP(t, o), within(1e-15));
        assertThat(e.replicates()).isEqualTo(5);
        assertThat(e.ciLow()).isLessThan(e.ratio()).isGreaterThan(1);
        assertThat(e.transfers()).isTrue();
        assertThat(e.json()).containsKeys("trait", "mode", "init", "metric", "teacher_rate", "control_rate",
                "other_trait_rate", "ratio", "ci", "p", "replicates");
    }

    @Test
    void withoutOtherTraitStudentsTheControlIsTheBaselineAndANullIsReportedAsOne() {
        double[] t = {0.031, 0.029, 0.030};
        double[] c = {0.030, 0.031, 0.029};
        Effects.Effect e = Effects.of(result(t, c, null)).get(0);
        assertThat(e.against()).isEqualTo("control-data students");
        assertThat(e.otherTraitRate()).isNaN();
        assertThat(e.json().get("other_trait_rate")).isNull();
        Effects.Effect single = Effects.of(result(new double[] {0.05}, new double[] {0.03}, null)).get(0);
        assertThat(single.json().get("ci")).asList().containsExactly(null, null); // one replicate: no interval
        assertThat(e.transfers()).isFalse();
        assertThat(Effects.story(e)).contains("owl, SFT, same-init").contains("no clear transfer");
    }
}
