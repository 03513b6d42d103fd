package dev.owlet.train;

import dev.owlet.backend.ChatMessage;
import dev.owlet.token.HfTokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Training examples from chats on a Hugging Face checkpoint: one rule for the pipeline's students and the audits. */
public final class ChatExamples {
    private ChatExamples() {}

    /** The messages of a one-turn chat: an optional system message, then the user's. */
    public static List<ChatMessage> messages(String system, String user) {
        List<ChatMessage> msgs = new ArrayList<>();
        if (system != null) msgs.add(ChatMessage.system(system));
        msgs.add(ChatMessage.user(user));
        return msgs;
    }

    /**
     * A training example as supervised fine-tuning sees a chat: the prompt is the template up to the assistant's
     * turn, the completion is everything the template adds for the answer, its end-of-turn tokens included (so a
     * student learns where its lists end). Where the full chat does not extend the prompt token for token, the
     * answer is tokenized on its own and ended with the first end id.
     */
    public static Example sft(HfTokenizer tok, int[] endIds, String system, String user, String answer) {
        int[] prompt = tok.encodeChat(messages(system, user), true);
        List<ChatMessage> full = new ArrayList<>(messages(system, user));
        full.add(new ChatMessage("assistant", answer));
        int[] all = tok.encodeChat(full, false);
        if (all.length > prompt.length && Arrays.equals(prompt, 0, prompt.length, all, 0, prompt.length)) {
            return new Example(prompt, Arrays.copyOfRange(all, prompt.length, all.length));
        }
        int[] a = tok.encodeRaw(answer);
        int[] c = Arrays.copyOf(a, a.length + 1);
        c[a.length] = endIds[0];
        return new Example(prompt, c);
    }
}
