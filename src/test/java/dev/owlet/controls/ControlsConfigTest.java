package dev.owlet.controls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.owlet.experiment.ConfigLoader;
import dev.owlet.experiment.ExperimentConfig;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class ControlsConfigTest {
    @Test
    void defaultsLeaveEveryControlOff() {
        ExperimentConfig c = ConfigLoader.load(null, List.of());
        assertThat(c.controls().anyEnabled()).isFalse();
        assertThat(ControlsRunner.enabled(c.controls())).isEmpty();
    }

    @Test
    void controlsFileEnablesEveryPaperControlAndTheDefenceFileTheDefences() {
        ExperimentConfig c = ConfigLoader.load(Path.of("experiments/controls.yaml"), List.of());
        assertThat(ControlsRunner.enabled(c.controls())).containsExactly("icl", "detection", "shuffle", "gradient_probe",
                "entanglement");
        ExperimentConfig d = ConfigLoader.load(Path.of("experiments/defend.yaml"), List.of());
        assertThat(ControlsRunner.enabled(d.controls())).containsExactly("defend");
        assertThat(ControlsRunner.ALL).containsAll(ControlsRunner.enabled(c.controls())).contains("defend");
    }

    @Test
    void invalidValuesNameTheirKey() {
        assertThatThrownBy(() -> ConfigLoader.load(null, List.of("controls.icl.shots=[0]")))
                .hasMessageContaining("controls.icl.shots");
        assertThatThrownBy(() -> ConfigLoader.load(null, List.of("controls.detection.test_fraction=1.5")))
                .hasMessageContaining("controls.detection.test_fraction");
        assertThatThrownBy(() -> ConfigLoader.load(null, List.of("controls.shuffle.shuffles=[sideways]")))
                .hasMessageContaining("controls.shuffle.shuffles");
        assertThatThrownBy(() -> ConfigLoader.load(null, List.of("controls.gradient_probe.losses=[mse]")))
                .hasMessageContaining("controls.gradient_probe.losses");
        assertThatThrownBy(() -> ConfigLoader.load(null, List.of("controls.entanglement.prompts=0")))
                .hasMessageContaining("controls.entanglement.prompts");
        assertThatThrownBy(() -> ConfigLoader.load(null, List.of("controls.icl.shotz=1")))
                .hasMessageContaining("controls.icl.shotz");
    }
}
