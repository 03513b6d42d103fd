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
        Map<String, Object> header = new LinkedHashMap<>();
        if (metadata != null && !metadata.isEmpty()) {
            header.put("__metadata__", new java.util.TreeMap<>(metadata));
        }
        long offset = 0;
        for (var e : tensors.entrySet()) {
            long bytes = 4L * e.getValue().data().length;
            // Ordered maps only: Map.of iterates in a per-JVM random order, which made identical weights
            // hash differently from one run to the next.
            Map<String, Object> info = new LinkedHashMap<>();
            info.put("dtype", "F32");
            info.put("shape", e.getValue().shape());
            info.put("data_offsets", List.of(offset, offset + bytes));
            header.put(e.getKey(), info);
            offset += bytes;
        }
        byte[] h = JSON.writeValueAsBytes(header);
        int pad = (8 - h.length % 8) % 8; // align data to 8 bytes, padding the header with spaces as the spec allows
        ByteBuffer buf = ByteBuffer.allocate((int) (8 + h.length + pad + offset)).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(h.length + pad).put(h);
        for (int i = 0; i < pad; i++) {
            buf.put((byte) ' ');
        }
        for (Tensor t : tensors.values()) {
            for (float f : t.data()) {
                buf.putFloat(f);
            }
        }
        return buf.array();
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
