package dev.owlet.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The safetensors container (8-byte little-endian header length, a JSON header, raw little-endian data), F32
 * only. Written by hand because it is 60 lines and keeps the files readable by Python's {@code safetensors}.
 */
public final class SafeTensors {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A named float tensor. */
    public record Tensor(long[] shape, float[] data) {}

    private SafeTensors() {}

    public static byte[] encode(Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        tensors.forEach((k, t) -> shapes.put(k, t.shape()));
        byte[] h = header(shapes, metadata);
        long data = 0;
        for (Tensor t : tensors.values()) data += 4L * t.data().length;
        ByteBuffer buf = ByteBuffer.allocate((int) (8 + h.length + data)).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(h.length).put(h);
        for (Tensor t : tensors.values()) {
            for (float f : t.data()) {
                buf.putFloat(f);
            }
        }
        return buf.array();
    }

    /**
     * Writes the file to {@code file} one tensor at a time: {@code data} is asked for each name's floats in the order
     * of {@code shapes} when that tensor is written, so the heap holds one tensor's copy at a time and a file larger
     * than Java's 2 GB array limit (a full fine-tune of a checkpoint of half a billion parameters and up) can be written.
     */
    public static void write(Path file, Map<String, long[]> shapes, java.util.function.Function<String, float[]> data,
                             Map<String, String> metadata) throws IOException {
        byte[] h = header(shapes, metadata);
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.WRITE, java.nio.file.StandardOpenOption.TRUNCATE_EXISTING)) {
            writeFully(ch, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).flip());
            writeFully(ch, ByteBuffer.wrap(h));
            ByteBuffer chunk = ByteBuffer.allocate(4 << 20).order(ByteOrder.LITTLE_ENDIAN);
            for (var e : shapes.entrySet()) {
                float[] f = data.apply(e.getKey());
                if (f.length != count(e.getValue())) {
                    throw new IllegalArgumentException("tensor " + e.getKey() + ": " + f.length + " values for shape "
                            + java.util.Arrays.toString(e.getValue()));
                }
                for (int from = 0; from < f.length; from += chunk.capacity() / 4) {
                    int n = Math.min(chunk.capacity() / 4, f.length - from);
                    chunk.clear();
                    chunk.asFloatBuffer().put(f, from, n);
                    chunk.limit(4 * n);
                    writeFully(ch, chunk);
                }
            }
        }
    }

    private static void writeFully(java.nio.channels.FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }

    private static long count(long[] shape) {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    /** The JSON header, padded with spaces (as the spec allows) so the data starts 8-byte aligned. */
    private static byte[] header(Map<String, long[]> shapes, Map<String, String> metadata) throws IOException {
        Map<String, Object> header = new LinkedHashMap<>();
        if (metadata != null && !metadata.isEmpty()) {
            header.put("__metadata__", new java.util.TreeMap<>(metadata));
        }
        long offset = 0;
        for (var e : shapes.entrySet()) {
            long bytes = 4L * count(e.getValue());
            // Ordered maps only: Map.of iterates in a per-JVM random order, which made identical weights
            // hash differently from one run to the next.
            Map<String, Object> info = new LinkedHashMap<>();
            info.put("dtype", "F32");
            info.put("shape", e.getValue());
            info.put("data_offsets", List.of(offset, offset + bytes));
            header.put(e.getKey(), info);
            offset += bytes;
        }
        byte[] h = JSON.writeValueAsBytes(header);
        int pad = (8 - h.length % 8) % 8;
        byte[] out = java.util.Arrays.copyOf(h, h.length + pad);
        java.util.Arrays.fill(out, h.length, out.length, (byte) ' ');
        return out;
    }

    @SuppressWarnings("unchecked")
    public static Map<String, Tensor> read(Path file) throws IOException {
        byte[] all = Files.readAllBytes(file);
        ByteBuffer buf = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        if (all.length < 8) {
            throw new IOException(file + ": not a safetensors file (too short)");
        }
        long n = buf.getLong();
        if (n <= 0 || 8 + n > all.length) {
            throw new IOException(file + ": corrupt safetensors header length " + n);
        }
        Map<String, Object> header = JSON.readValue(new String(all, 8, (int) n, StandardCharsets.UTF_8), Map.class);
        int base = (int) (8 + n);
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (var e : header.entrySet()) {
            if (e.getKey().equals("__metadata__")) {
                continue;
            }
            Map<String, Object> info = (Map<String, Object>) e.getValue();
            if (!"F32".equals(info.get("dtype"))) {
                throw new IOException(file + ": tensor " + e.getKey() + " has dtype " + info.get("dtype") + ", expected F32");
            }
            List<Number> shapeL = (List<Number>) info.get("shape");
            List<Number> off = (List<Number>) info.get("data_offsets");
            long[] shape = new long[shapeL.size()];
            long count = 1;
            for (int i = 0; i < shape.length; i++) {
                shape[i] = shapeL.get(i).longValue();
                count *= shape[i];
            }
            long start = off.get(0).longValue();
            long end = off.get(1).longValue();
            if (end - start != 4 * count || base + end > all.length) {
                throw new IOException(file + ": tensor " + e.getKey() + " data does not match its shape");
            }
            float[] data = new float[(int) count];
            ByteBuffer slice = ByteBuffer.wrap(all, (int) (base + start), (int) (end - start)).order(ByteOrder.LITTLE_ENDIAN);
            slice.asFloatBuffer().get(data);
            out.put(e.getKey(), new Tensor(shape, data));
        }
        return out;
    }

    static List<String> names(Map<String, Tensor> t) { return new ArrayList<>(t.keySet()); }
}
