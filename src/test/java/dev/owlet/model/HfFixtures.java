package dev.owlet.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Path;

/** The checkpoints and expected outputs {@code tools/hf-fixtures.py} wrote under src/test/resources/hf. */
public final class HfFixtures {
    private HfFixtures() {}

    /** What transformers computed on one fixture model (see the script's header). */
    public record Expected(int[] tokens, float[] logits, int vocab, int[] prompt, int[] greedy, int[] continuation,
                           double logprob) {}

    public static Path dir(String name) {
        try {
            return Path.of(HfFixtures.class.getResource("/hf/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    public static JsonNode json(String name, String file) {
        try {
            return new ObjectMapper().readTree(dir(name).resolve(file).toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Expected expected(String name) {
        JsonNode e = json(name, "expected.json");
        float[] logits = new float[e.get("logits").size()];
        for (int i = 0; i < logits.length; i++) logits[i] = (float) e.get("logits").get(i).asDouble();
        return new Expected(ints(e.get("tokens")), logits, e.get("vocab").asInt(), ints(e.get("prompt")),
                ints(e.get("greedy")), ints(e.get("continuation")), e.get("logprob").asDouble());
    }

    public static int[] ints(JsonNode a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) out[i] = a.get(i).asInt();
        return out;
    }

    public static long[] longs(int[] a) {
        long[] out = new long[a.length];
        for (int i = 0; i < a.length; i++) out[i] = a[i];
        return out;
    }

    public static float maxAbsDiff(float[] a, float[] b) {
        if (a.length != b.length) throw new AssertionError("lengths " + a.length + " vs " + b.length);
        float m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }
}
