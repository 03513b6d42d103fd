package dev.owlet.mnist;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.zip.GZIPOutputStream;

/** Writes small synthetic IDX files for tests. */
final class IdxFixtures {
    private IdxFixtures() {}

    static byte[] idx(int[] dims, byte[] data) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bos);
        out.writeInt(0x0800 | dims.length);
        for (int d : dims) {
            out.writeInt(d);
        }
        out.write(data);
        out.flush();
        return bos.toByteArray();
    }

    static void write(Path file, byte[] content, boolean gzip) throws IOException {
        try (OutputStream os = Files.newOutputStream(file)) {
            if (gzip) {
                try (GZIPOutputStream gz = new GZIPOutputStream(os)) {
                    gz.write(content);
                }
            } else {
                os.write(content);
            }
        }
    }

    /** A folder of tiny MNIST-format files: n train, k test, 28x28 random pixels, labels 0..9. */
    static void writeDataset(Path dir, int n, int k, boolean gzip) throws IOException {
        SplittableRandom rng = new SplittableRandom(3);
        String ext = gzip ? ".gz" : "";
        for (String split : new String[] {"train", "t10k"}) {
            int count = split.equals("train") ? n : k;
            byte[] px = new byte[count * 784];
            byte[] lb = new byte[count];
            for (int i = 0; i < px.length; i++) {
                px[i] = (byte) rng.nextInt(256);
            }
            for (int i = 0; i < count; i++) {
                lb[i] = (byte) (i % 10);
            }
            write(dir.resolve(split + "-images-idx3-ubyte" + ext), idx(new int[] {count, 28, 28}, px), gzip);
            write(dir.resolve(split + "-labels-idx1-ubyte" + ext), idx(new int[] {count}, lb), gzip);
        }
    }
}
