package dev.owlet.pretrain;

import static org.assertj.core.api.Assertions.assertThat;

import dev.owlet.provenance.Manifest;
import dev.owlet.world.WorldConfig;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PretrainerTest {
    @TempDir
    Path dir;

    static PretrainConfig tiny(long seed) {
        return new PretrainConfig(seed, 1000, new PretrainConfig.ModelShape(1, 32, 2, 128), 80, 16, 3e-3, 5, null);
    }

    @Test
    void sameConfigAndSeedGiveBitIdenticalWeightsAndOtherSeedsDoNot() throws IOException {
        WorldConfig w = WorldConfig.defaults().withSeed(1000);
        Pretrainer.Result a = new Pretrainer(tiny(1), w).run(dir.resolve("a"), null);
        Pretrainer.Result b = new Pretrainer(tiny(1), w).run(dir.resolve("b"), null);
        Pretrainer.Result c = new Pretrainer(tiny(2), w).run(dir.resolve("c"), null);
        assertThat(b.weightsSha256()).isEqualTo(a.weightsSha256());
        assertThat(b.corpusSha256()).isEqualTo(a.corpusSha256());
        assertThat(c.weightsSha256()).isNotEqualTo(a.weightsSha256());
        assertThat(c.corpusSha256()).isEqualTo(a.corpusSha256()); // same world, different init
        assertThat(a.finalLoss()).isLessThan(5.5); // below ln(vocab) = 6.2 at init: it learned something
        var m = Manifest.read(dir.resolve("a"));
        assertThat(m).containsKeys("config", "seed", "inputs", "outputs", "wall_seconds");
        assertThat(m.get("inputs").toString()).contains(a.corpusSha256());
    }
}
