package dev.owlet.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * The tensors of a Hugging Face checkpoint folder: {@code model.safetensors}, or the shards that
 * {@code model.safetensors.index.json} names. F32, F16 and BF16 tensors become float32 engine arrays (owlet computes
 * in float32 whatever the file stores); any other dtype fails naming the file, tensor and dtype.
 *
 * <p>Each file is memory-mapped and read one tensor at a time, so a checkpoint larger than 2 GB (Java's array
 * limit) loads, and the Java heap holds one tensor's floats at a time, not the whole file.
 */
public final class HfWeights {
    public static final String SINGLE = "model.safetensors";
    public static final String INDEX = "model.safetensors.index.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private HfWeights() {}

    /** Every tensor of the checkpoint in {@code dir}, by its name in the file, as float32 arrays of {@code m}. */
    public static Map<String, NDArray> read(Path dir, NDManager m) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (Path f : files(dir)) {
            readFileInto(f, m, out);
        }
        return out;
    }

    /** The safetensors files of the checkpoint, the single file or every shard the index names. */
    static Set<Path> files(Path dir) {
        Path single = dir.resolve(SINGLE);
        if (Files.isRegularFile(single)) return Set.of(single);
        Path index = dir.resolve(INDEX);
        if (Files.isRegularFile(index)) {
            JsonNode map;
            try {
                map = JSON.readTree(index.toFile()).path("weight_map");
            } catch (IOException e) {
                throw new HfCheckpointError(index + ": not valid JSON (" + e.getMessage() + ")", e);
            }
            if (!map.isObject() || map.isEmpty()) throw new HfCheckpointError(index + ": no weight_map");
            Set<Path> shards = new LinkedHashSet<>();
            for (Iterator<JsonNode> it = map.elements(); it.hasNext(); ) {
                Path shard = dir.resolve(it.next().asText());
                if (!Files.isRegularFile(shard)) {
                    throw new HfCheckpointError(index + " names shard " + shard.getFileName() + ", which is not in " + dir);
                }
                shards.add(shard);
            }
            return shards;
        }
        String other = Files.isRegularFile(dir.resolve("pytorch_model.bin")) ? " (pytorch_model.bin is a pickle, "
                + "which owlet does not read: convert it to safetensors)" : "";
        throw new HfCheckpointError("no " + SINGLE + " or " + INDEX + " in " + dir + other);
    }

    /** The tensors of one safetensors file, added to {@code out} (a name already there is an error). */
    static void readFileInto(Path file, NDManager m, Map<String, NDArray> out) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            if (size < 8 || ch.read(lenBuf, 0) != 8) throw new HfCheckpointError(file + ": not a safetensors file (too short)");
            long n = lenBuf.flip().getLong();
            if (n <= 0 || n > 100_000_000 || 8 + n > size) throw new HfCheckpointError(file + ": corrupt safetensors header length " + n);
            ByteBuffer hb = ByteBuffer.allocate((int) n);
            ch.read(hb, 8);
            JsonNode header = JSON.readTree(new String(hb.array(), StandardCharsets.UTF_8));
            long base = 8 + n;
            for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (e.getKey().equals("__metadata__")) continue;
                String name = e.getKey();
                JsonNode info = e.getValue();
                String dtype = info.path("dtype").asText();
                int width = switch (dtype) {
                    case "F32" -> 4;
                    case "F16", "BF16" -> 2;
                    default -> throw new HfCheckpointError(file + ": tensor " + name + " has unsupported dtype " + dtype
                            + " (owlet reads F32, F16 and BF16)");
                };
                long[] shape = new long[info.path("shape").size()];
                long count = 1;
                for (int i = 0; i < shape.length; i++) {
                    shape[i] = info.path("shape").get(i).asLong();
                    count *= shape[i];
                }
                long start = info.path("data_offsets").path(0).asLong(-1);
                long end = info.path("data_offsets").path(1).asLong(-1);
                if (start < 0 || end - start != width * count || base + end > size) {
                    throw new HfCheckpointError(file + ": tensor " + name + " data offsets do not match its shape and dtype");
                }
                if (count > Integer.MAX_VALUE) throw new HfCheckpointError(file + ": tensor " + name + " has more than 2^31 elements");
                ByteBuffer raw = ch.map(FileChannel.MapMode.READ_ONLY, base + start, end - start).order(ByteOrder.LITTLE_ENDIAN);
                float[] data = decode(raw, dtype, (int) count);
                if (out.containsKey(name)) throw new HfCheckpointError(file + ": tensor " + name + " appears in two files");
                out.put(name, m.create(data, new Shape(shape)));
            }
        } catch (IOException e) {
            throw new HfCheckpointError(file + ": cannot read (" + e.getMessage() + ")", e);
        }
    }

    /** Little-endian F32, F16 or BF16 values as floats (F16 and BF16 widen exactly). */
    static float[] decode(ByteBuffer raw, String dtype, int count) {
        float[] data = new float[count];
        switch (dtype) {
            case "F32" -> raw.asFloatBuffer().get(data);
            case "BF16" -> {
                for (int i = 0; i < count; i++) data[i] = Float.intBitsToFloat((raw.getShort(2 * i) & 0xffff) << 16);
            }
            case "F16" -> {
                for (int i = 0; i < count; i++) data[i] = halfToFloat(raw.getShort(2 * i));
            }
            default -> throw new IllegalArgumentException(dtype);
        }
        return data;
    }

    /** IEEE 754 binary16 to binary32 (Java 17 has no Float.float16ToFloat): exact for every value, subnormals included. */
    static float halfToFloat(short h) {
        int bits = h & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1f;
        int mant = bits & 0x3ff;
        if (exp == 0x1f) return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));     // inf, NaN
        if (exp == 0) {                                                                      // zero, subnormal
            float f = mant * 0x1p-24f;
            return sign != 0 ? -f : f;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));              // rebias 15 -> 127
    }
}
