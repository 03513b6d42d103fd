package dev.owlet.mnist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IdxReaderTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void roundTripsRawAndGzip(boolean gzip) throws IOException {
        byte[] data = {0, 1, 2, (byte) 255, 7, 8};
        Path f = dir.resolve("x-idx3-ubyte" + (gzip ? ".gz" : ""));
        IdxFixtures.write(f, IdxFixtures.idx(new int[] {2, 1, 3}, data), gzip);
        IdxReader.IdxArray a = IdxReader.read(f);
        assertThat(a.dims()).containsExactly(2, 1, 3);
        assertThat(a.data()).containsExactly(data);
        assertThat(a.count()).isEqualTo(2);
        assertThat(a.itemSize()).isEqualTo(3);
    }

    @Test
    void wrongMagicNamesTheFile() throws IOException {
        Path f = dir.resolve("bad-images-idx3-ubyte");
        Files.write(f, new byte[] {0x12, 0x34, 0x08, 0x03, 0, 0, 0, 1});
        assertThatThrownBy(() -> IdxReader.read(f)).isInstanceOf(IOException.class)
                .hasMessageContaining(f.toString()).hasMessageContaining("magic");
    }

    @Test
    void unsupportedTypeAndTruncationNameTheFile() throws IOException {
        Path f = dir.resolve("floats-idx1-ubyte");
        Files.write(f, new byte[] {0, 0, 0x0d, 0x01, 0, 0, 0, 1, 0, 0, 0, 0});
        assertThatThrownBy(() -> IdxReader.read(f)).hasMessageContaining(f.toString()).hasMessageContaining("0x0d");
        Path g = dir.resolve("short-idx1-ubyte.gz");
        IdxFixtures.write(g, new byte[] {0, 0, 0x08, 0x01, 0, 0, 0, 9, 1, 2}, true);
        assertThatThrownBy(() -> IdxReader.read(g)).hasMessageContaining(g.toString()).hasMessageContaining("truncated");
    }

    @Test
    void loadsAFolderAndScalesPixels() throws IOException {
        IdxFixtures.writeDataset(dir, 30, 10, true);
        MnistData d = MnistData.load(dir);
        assertThat(d.trainCount()).isEqualTo(30);
        assertThat(d.testCount()).isEqualTo(10);
        assertThat(d.pixels()).isEqualTo(784);
        assertThat(d.trainLabels()[13]).isEqualTo(3);
        for (float v : d.trainImages()) {
            assertThat(v).isBetween(-1f, 1f);
        }
        assertThat(d.fileHashes()).hasSize(4).containsKey("train-images-idx3-ubyte.gz");
    }

    @Test
    void missingDataSaysHowToGetIt() {
        assertThatThrownBy(() -> MnistData.load(dir.resolve("nowhere")))
                .isInstanceOf(MnistData.MissingDataException.class)
                .hasMessageContaining("apt-get install dataset-fashion-mnist").hasMessageContaining("--data");
        assertThatThrownBy(() -> MnistData.load(dir)).isInstanceOf(MnistData.MissingDataException.class)
                .hasMessageContaining("train-images");
    }
}
