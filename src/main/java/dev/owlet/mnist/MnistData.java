package dev.owlet.mnist;

import dev.owlet.provenance.Hashing;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An MNIST-format data set in memory: images scaled to [-1, 1] (the paper's input range, which is also the
 * range of the noise the students see) and integer labels. Also records the SHA-256 of every file read, for the
 * run manifest.
 *
 * @param trainImages (nTrain * pixels) row-major, in [-1, 1]
 * @param testImages (nTest * pixels) row-major, in [-1, 1]
 * @param fileHashes file name to SHA-256, in read order
 */
public record MnistData(float[] trainImages, int[] trainLabels, float[] testImages, int[] testLabels, int pixels,
                        Map<String, String> fileHashes) {
    /** Where Debian's {@code dataset-fashion-mnist} package installs its files. */
    public static final Path FASHION_MNIST = Path.of("/usr/share/datasets/fashion-mnist");

    /** Number of classes (regular logits). */
    public static final int CLASSES = 10;

    /** The data folder is missing or incomplete; the message says how to get the data. */
    public static final class MissingDataException extends RuntimeException {
        public MissingDataException(String message) { super(message); }
    }

    public int trainCount() { return trainLabels.length; }

    public int testCount() { return testLabels.length; }

    /**
     * Loads {@code train-images-idx3-ubyte}, {@code train-labels-idx1-ubyte}, {@code t10k-images-idx3-ubyte},
     * {@code t10k-labels-idx1-ubyte} from {@code dir}, each raw or gzipped ({@code .gz}); the dot-separated
     * spelling of the original MNIST site ({@code train-images.idx3-ubyte}) is accepted too.
     */
    public static MnistData load(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new MissingDataException("no MNIST data at " + dir + ": install Fashion-MNIST with "
                    + "'apt-get install dataset-fashion-mnist' (goes to " + FASHION_MNIST + ") or pass --data DIR "
                    + "with MNIST-format IDX files");
        }
        Map<String, String> hashes = new LinkedHashMap<>();
        IdxReader.IdxArray trainX = readPart(dir, "train", "images", "idx3", hashes);
        IdxReader.IdxArray trainY = readPart(dir, "train", "labels", "idx1", hashes);
        IdxReader.IdxArray testX = readPart(dir, "t10k", "images", "idx3", hashes);
        IdxReader.IdxArray testY = readPart(dir, "t10k", "labels", "idx1", hashes);
        if (trainX.count() != trainY.count() || testX.count() != testY.count()) {
            throw new IOException(dir + ": image and label counts differ (train " + trainX.count() + " vs "
                    + trainY.count() + ", test " + testX.count() + " vs " + testY.count() + ")");
        }
        if (trainX.itemSize() != testX.itemSize()) {
            throw new IOException(dir + ": train and test images differ in size");
        }
        return new MnistData(scale(trainX), labels(trainY, dir), scale(testX), labels(testY, dir),
                trainX.itemSize(), hashes);
    }

    private static IdxReader.IdxArray readPart(Path dir, String split, String kind, String idx,
                                               Map<String, String> hashes) throws IOException {
        for (String name : List.of(split + "-" + kind + "-" + idx + "-ubyte", split + "-" + kind + "." + idx + "-ubyte")) {
            for (String candidate : List.of(name + ".gz", name)) {
                Path p = dir.resolve(candidate);
                if (Files.isRegularFile(p)) {
                    hashes.put(candidate, Hashing.sha256(p));
                    return IdxReader.read(p);
                }
            }
        }
        throw new MissingDataException("no " + split + "-" + kind + "-" + idx + "-ubyte[.gz] in " + dir
                + ": install Fashion-MNIST with 'apt-get install dataset-fashion-mnist' or pass --data DIR "
                + "with MNIST-format IDX files");
    }

    /** Pixel bytes 0..255 to [-1, 1]. */
    private static float[] scale(IdxReader.IdxArray a) {
        byte[] d = a.data();
        float[] out = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            out[i] = (d[i] & 0xff) / 127.5f - 1f;
        }
        return out;
    }

    private static int[] labels(IdxReader.IdxArray a, Path dir) throws IOException {
        byte[] d = a.data();
        int[] out = new int[d.length];
        for (int i = 0; i < d.length; i++) {
            out[i] = d[i] & 0xff;
            if (out[i] >= CLASSES) {
                throw new IOException(dir + ": label " + out[i] + " out of range 0..9");
            }
        }
        return out;
    }

    /** The first {@code nTrain} training and {@code nTest} test examples (for quick runs and tests). */
    public MnistData head(int nTrain, int nTest) {
        int a = Math.min(nTrain, trainCount());
        int b = Math.min(nTest, testCount());
        if (a == trainCount() && b == testCount()) {
            return this;
        }
        return new MnistData(java.util.Arrays.copyOf(trainImages, a * pixels), java.util.Arrays.copyOf(trainLabels, a),
                java.util.Arrays.copyOf(testImages, b * pixels), java.util.Arrays.copyOf(testLabels, b), pixels,
                fileHashes);
    }
}
