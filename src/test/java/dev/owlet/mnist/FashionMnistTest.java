package dev.owlet.mnist;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The scientific claim at a reduced size on real data: shared initialization is what carries the signal. */
class FashionMnistTest {
    @Test
    void sameInitStudentBeatsDifferentInitStudent() throws Exception {
        Assumptions.assumeTrue(Files.isDirectory(MnistData.FASHION_MNIST),
                "Fashion-MNIST missing: apt-get install dataset-fashion-mnist");
        MnistConfig cfg = MnistConfig.prototype().withMembers(4).withEpochs(3, 3).withSizes(10_000, 10_000, 2_000);
        MnistResult r = new MnistExperiment(cfg, System.err::println).run(MnistData.load(MnistData.FASHION_MNIST));
        assertThat(MnistResult.Stat.of(r.teacher()).mean()).isGreaterThan(0.7);
        double same = MnistResult.Stat.of(r.sameInitGain()).mean();
        double diff = MnistResult.Stat.of(r.diffInitGain()).mean();
        assertThat(same).as("same-init gain over its start vs different-init gain").isGreaterThan(diff + 0.05);
        assertThat(MnistResult.Stat.of(r.sameInit()).mean()).isGreaterThan(MnistResult.Stat.of(r.diffInit()).mean());
    }
}
