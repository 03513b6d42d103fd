package dev.owlet.backend;

import java.util.ArrayList;
import java.util.List;

/** A conversation to complete. */
public record ChatRequest(List<ChatMessage> messages) {
    public ChatRequest {
        if (messages == null || messages.isEmpty()) {
            throw new IllegalArgumentException("messages: at least one message is required");
        }
        messages = List.copyOf(messages);
    }

    /** A single-turn chat; {@code system} may be null or empty for none. */
    public static ChatRequest of(String system, String user) {
        List<ChatMessage> m = new ArrayList<>();
        if (system != null && !system.isEmpty()) m.add(ChatMessage.system(system));
        m.add(ChatMessage.user(user));
        return new ChatRequest(m);
    }
}
