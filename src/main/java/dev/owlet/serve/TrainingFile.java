package dev.owlet.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A fine-tuning file in OpenAI's chat format, one {@code {"messages": [...]}} object per line, read for the
 * embedded models: each line is optional system messages, one user message and one final assistant message (the
 * embedded models are single-turn). The first bad line fails the whole file with its line number and reason, as
 * the job's {@code error.message}.
 */
record TrainingFile(List<Row> rows) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One example: system prompt (null for none), user message, assistant answer. */
    record Row(String system, String user, String assistant) {}

    /** The file does not hold valid chat-format examples. */
    static final class Invalid extends Exception {
        Invalid(String message) { super(message); }
    }

    static TrainingFile parse(String fileId, byte[] bytes) throws Invalid {
        String text = new String(bytes, StandardCharsets.UTF_8);
        String[] lines = text.split("\n", -1);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty()) continue;
            String where = "training file " + fileId + " line " + (i + 1) + ": ";
            JsonNode n;
            try {
                n = JSON.readTree(line);
            } catch (IOException e) {
                throw new Invalid(where + "not valid JSON");
            }
            if (n == null || !n.isObject()) throw new Invalid(where + "not a JSON object");
            JsonNode ms = n.get("messages");
            if (ms == null || !ms.isArray() || ms.isEmpty()) throw new Invalid(where + "'messages' must be a non-empty array");
            StringBuilder system = new StringBuilder();
            String user = null;
            String assistant = null;
            for (int k = 0; k < ms.size(); k++) {
                JsonNode m = ms.get(k);
                JsonNode role = m.get("role");
                JsonNode content = m.get("content");
                if (role == null || !role.isTextual()) throw new Invalid(where + "messages[" + k + "].role must be a string");
                if (content == null || !content.isTextual()) throw new Invalid(where + "messages[" + k + "].content must be a string");
                switch (role.asText()) {
                    case "system" -> {
                        if (user != null) throw new Invalid(where + "messages[" + k + "]: system messages must come first");
                        if (system.length() > 0) system.append(' ');
                        system.append(content.asText());
                    }
                    case "user" -> {
                        if (user != null) throw new Invalid(where + "messages[" + k + "]: embedded models are single-turn (one user message)");
                        user = content.asText();
                    }
                    case "assistant" -> {
                        if (user == null) throw new Invalid(where + "messages[" + k + "]: the assistant message must follow a user message");
                        if (assistant != null) throw new Invalid(where + "messages[" + k + "]: embedded models are single-turn (one assistant message)");
                        assistant = content.asText();
                    }
                    default -> throw new Invalid(where + "messages[" + k + "].role '" + role.asText()
                            + "' is not one of system, user, assistant");
                }
            }
            if (user == null) throw new Invalid(where + "no user message");
            if (assistant == null) throw new Invalid(where + "no assistant message to train on");
            rows.add(new Row(system.length() == 0 ? null : system.toString(), user, assistant));
        }
        if (rows.isEmpty()) throw new Invalid("training file " + fileId + ": no examples");
        return new TrainingFile(List.copyOf(rows));
    }
}
