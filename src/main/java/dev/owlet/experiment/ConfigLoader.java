package dev.owlet.experiment;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Loads an experiment: the built-in defaults ({@code experiments/defaults.yaml} on the classpath), deep-merged
 * with the user's YAML file, then {@code --set key.sub=value} overrides (values parsed as YAML scalars or lists).
 * Unknown keys and wrong types fail with the key path and the file, never silently.
 */
public final class ConfigLoader {
    public static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

    private ConfigLoader() {}

    /** Thrown for any invalid experiment; the message names the file and the key. */
    public static final class ConfigException extends InputError {
        public ConfigException(String message) { super(message); }
    }

    public static ExperimentConfig load(Path file, List<String> overrides) {
        return load(ExperimentConfig.class, "/experiments/defaults.yaml", file, overrides);
    }

    /** Loads any config record type over the given classpath defaults. */
    public static <T> T load(Class<T> type, String defaultsResource, Path file, List<String> overrides) {
        Map<String, Object> tree = defaults(defaultsResource);
        String source = "built-in defaults";
        if (file != null) {
            source = file.toString();
            if (!Files.isRegularFile(file)) {
                throw new ConfigException("experiment file not found: " + file);
            }
            Map<String, Object> user;
            try {
                user = readMap(Files.newInputStream(file));
            } catch (IOException e) {
                throw new ConfigException(file + ": not valid YAML: " + e.getMessage());
            }
            checkKnownKeys(user, tree, "", file.toString());
            deepMerge(tree, user);
        }
        for (String o : overrides == null ? List.<String>of() : overrides) {
            int eq = o.indexOf('=');
            if (eq <= 0) {
                throw new ConfigException("--set expects key=value, got '" + o + "'");
            }
            String key = o.substring(0, eq).trim();
            Object value;
            try {
                value = YAML.readValue(o.substring(eq + 1), Object.class);
            } catch (JsonProcessingException e) {
                throw new ConfigException("--set " + key + ": cannot parse value '" + o.substring(eq + 1) + "'");
            }
            set(tree, key, value, source);
        }
        try {
            return YAML.convertValue(tree, type);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(source + ": " + describe(e));
        }
    }

    private static String describe(IllegalArgumentException e) {
        Throwable c = e.getCause();
        while (c != null && !(c instanceof JsonMappingException) && c.getCause() != null) c = c.getCause();
        if (c instanceof JsonMappingException jm) {
            String path = jm.getPath().stream().map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                    .collect(Collectors.joining(".")).replace(".[", "[");
            Throwable root = jm;
            while (root.getCause() != null) root = root.getCause();
            if (root instanceof IllegalArgumentException iae && root != e) {
                // Record validation names its key itself; an enum's creator does not, so the path adds it.
                String m = iae.getMessage();
                return path.isEmpty() || m.contains(path) ? m : "key '" + path + "': " + m;
            }
            if (jm instanceof com.fasterxml.jackson.databind.exc.InvalidFormatException bad && bad.getTargetType() != null
                    && bad.getTargetType().isEnum()) {
                return "key '" + path + "': must be one of " + enumNames(bad.getTargetType()) + ", got " + bad.getValue();
            }
            String msg = jm.getOriginalMessage();
            if (msg.contains("Cannot deserialize value of type")) {
                msg = "wrong type (" + msg.replaceAll(".*Cannot deserialize value of type `([^`]*)`.*", "expected $1") + ")";
            }
            return "key '" + path + "': " + msg.split("\n")[0];
        }
        return e.getMessage();
    }

    /** The config spellings of an enum's values, as the user writes them. */
    static List<String> enumNames(Class<?> type) {
        List<String> names = new java.util.ArrayList<>();
        for (Object c : type.getEnumConstants()) names.add(YAML.convertValue(c, String.class));
        return names;
    }

    @SuppressWarnings("unchecked")
    private static void checkKnownKeys(Map<String, Object> user, Map<String, Object> known, String prefix, String file) {
        for (var e : user.entrySet()) {
            String key = prefix + e.getKey();
            if (!known.containsKey(e.getKey())) {
                throw new ConfigException(file + ": unknown key '" + key + "' (known: " + String.join(", ", known.keySet()) + ")");
            }
            if (e.getValue() instanceof Map && known.get(e.getKey()) instanceof Map) {
                checkKnownKeys((Map<String, Object>) e.getValue(), (Map<String, Object>) known.get(e.getKey()), key + ".", file);
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static void set(Map<String, Object> tree, String dotted, Object value, String source) {
        String[] parts = dotted.split("\\.");
        Map<String, Object> cur = tree;
        for (int i = 0; i < parts.length - 1; i++) {
            Object next = cur.get(parts[i]);
            if (!(next instanceof Map)) {
                throw new ConfigException("--set " + dotted + ": unknown key '" + parts[i] + "'");
            }
            cur = (Map<String, Object>) next;
        }
        if (!cur.containsKey(parts[parts.length - 1])) {
            throw new ConfigException("--set " + dotted + ": unknown key '" + dotted + "'");
        }
        cur.put(parts[parts.length - 1], value);
    }

    @SuppressWarnings("unchecked")
    private static void deepMerge(Map<String, Object> base, Map<String, Object> over) {
        for (var e : over.entrySet()) {
            Object b = base.get(e.getKey());
            if (b instanceof Map && e.getValue() instanceof Map) {
                deepMerge((Map<String, Object>) b, (Map<String, Object>) e.getValue());
            } else {
                base.put(e.getKey(), e.getValue());
            }
        }
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> readMap(InputStream in) throws IOException {
        try (in) {
            Object o = YAML.readValue(in, Object.class);
            if (o == null) return new LinkedHashMap<>();
            if (!(o instanceof Map)) throw new IOException("top level must be a mapping");
            return (Map<String, Object>) o;
        }
    }

    public static Map<String, Object> defaults(String resource) {
        try {
            InputStream in = ConfigLoader.class.getResourceAsStream(resource);
            if (in == null) throw new IllegalStateException("missing built-in " + resource);
            return readMap(in);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A stable text form of a config record (or plain value) for cache keys: sorted JSON. */
    public static String toMapOrValue(Object config) {
        try {
            return SORTED.writeValueAsString(config);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static final ObjectMapper SORTED = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(com.fasterxml.jackson.databind.SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .enable(com.fasterxml.jackson.databind.MapperFeature.SORT_PROPERTIES_ALPHABETICALLY);

    /** The resolved config as a plain map (for manifests and results.json). */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> toMap(Object config) {
        return YAML.convertValue(config, LinkedHashMap.class);
    }
}
