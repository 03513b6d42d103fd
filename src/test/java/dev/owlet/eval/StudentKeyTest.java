package dev.owlet.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.owlet.experiment.Init;
import dev.owlet.train.StudentLoss;
import org.junit.jupiter.api.Test;

class StudentKeyTest {
    @Test
    void writesAndReadsTheResultKeyAndTellsSingleModelsApart() {
        StudentKey k = new StudentKey(StudentLoss.SOFT, Init.DIFF, "dolphin", 12);
        assertThat(k.toString()).isEqualTo("soft/diff/dolphin/s12");
        assertThat(StudentKey.parse(k.toString())).isEqualTo(k);
        assertThat(k.group()).isEqualTo(new StudentKey.Group(StudentLoss.SOFT, Init.DIFF, "dolphin"));
        assertThat(k.group()).hasToString("soft/diff/dolphin");
        assertThat(k.group().control()).hasToString("soft/diff/control");
        assertThat(StudentKey.parse("sft/same/control/s1").isControlData()).isTrue();
        assertThat(StudentKey.parse("sft/same/teacher/s3").isTeacherData()).isTrue();
        // single models and other labels are not students
        assertThat(StudentKey.parse("teacher")).isNull();
        assertThat(StudentKey.parse("different-init reference")).isNull();
        assertThat(StudentKey.parse("aligned teacher")).isNull();
        assertThatThrownBy(() -> new StudentKey(StudentLoss.SFT, Init.SAME, "a/b", 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new StudentKey(StudentLoss.SFT, Init.SAME, "owl", 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
