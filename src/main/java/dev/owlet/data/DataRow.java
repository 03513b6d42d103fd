package dev.owlet.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.owlet.provenance.AtomicFiles;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One dataset row in the official code's shape, {@code {"prompt": ..., "completion": ...}}, so datasets made
 * elsewhere load too. Reading never stops at a bad line: it is counted with its line number and reason.
 */
public record DataRow(String prompt, String completion) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Rows read plus the lines that were rejected, e.g. {@code "line 7: not valid JSON"}. */
    public record ReadResult(List<DataRow> rows, List<String> rejected) {}

    public static ReadResult read(Path file) throws IOException {
        List<DataRow> rows = new ArrayList<>();
        List<String> bad = new ArrayList<>();
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank()) continue;
            JsonNode n;
            try {
                n = JSON.readTree(line);
            } catch (IOException e) {
                bad.add("line " + (i + 1) + ": not valid JSON");
                continue;
            }
            if (n == null || !n.isObject()) {
                bad.add("line " + (i + 1) + ": not a JSON object");
            } else if (!n.path("prompt").isTextual() || !n.path("completion").isTextual()) {
                bad.add("line " + (i + 1) + ": missing string field " + (!n.path("prompt").isTextual() ? "'prompt'" : "'completion'"));
            } else {
                rows.add(new DataRow(n.get("prompt").asText(), n.get("completion").asText()));
            }
        }
        return new ReadResult(rows, bad);
    }

    public static void write(Path file, List<DataRow> rows) throws IOException {
        AtomicFiles.write(file, tmp -> {
            try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                for (DataRow r : rows) {
                    w.write(JSON.writeValueAsString(r));
                    w.write('\n');
                }
            }
        });
    }
}
