package dev.owlet.mnist;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * Reads IDX files (the MNIST container format: magic {@code 0x0000TTNN}, N big-endian int32 dimensions, then the
 * data). Only unsigned-byte data ({@code TT = 0x08}) is needed for MNIST-format data sets. Gzip is detected from
 * the content, not the file name, so both {@code .gz} and raw files work.
 */
public final class IdxReader {
    private IdxReader() {}

    /** An IDX tensor of unsigned bytes: {@code dims} is its shape, {@code data} row-major. */
    public record IdxArray(int[] dims, byte[] data) {
        /** Number of items along the first dimension. */
        public int count() { return dims[0]; }

        /** Product of the dimensions after the first (784 for 28x28 images, 1 for labels). */
        public int itemSize() {
            int s = 1;
            for (int i = 1; i < dims.length; i++) {
                s *= dims[i];
            }
            return s;
        }
    }

    /** Reads a whole IDX file; errors name the file. */
    public static IdxArray read(Path file) throws IOException {
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            raw.mark(2);
            int b0 = raw.read();
            int b1 = raw.read();
            raw.reset();
            boolean gzip = b0 == 0x1f && b1 == 0x8b;
            try (DataInputStream in = new DataInputStream(gzip ? new GZIPInputStream(raw, 1 << 16) : raw)) {
                return read(in, file);
            }
        } catch (EOFException e) {
            throw new IOException(file + ": truncated IDX file", e);
        }
    }

    private static IdxArray read(DataInputStream in, Path file) throws IOException {
        int magic = in.readInt();
        int type = (magic >>> 8) & 0xff;
        int rank = magic & 0xff;
        if ((magic >>> 16) != 0 || rank < 1 || rank > 4) {
            throw new IOException(file + ": not an IDX file (bad magic 0x%08x)".formatted(magic));
        }
        if (type != 0x08) {
            throw new IOException(file + ": IDX data type 0x%02x unsupported (only unsigned byte, 0x08)".formatted(type));
        }
        int[] dims = new int[rank];
        long total = 1;
        for (int i = 0; i < rank; i++) {
            dims[i] = in.readInt();
            if (dims[i] < 0) {
                throw new IOException(file + ": negative IDX dimension " + dims[i]);
            }
            total *= dims[i];
        }
        if (total > Integer.MAX_VALUE - 8) {
            throw new IOException(file + ": IDX file too large (" + total + " bytes)");
        }
        byte[] data = new byte[(int) total];
        in.readFully(data);
        return new IdxArray(dims, data);
    }
}
