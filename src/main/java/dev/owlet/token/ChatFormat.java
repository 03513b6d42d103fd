package dev.owlet.token;

import java.util.Arrays;

/**
 * The chat layout every embedded model is trained on:
 * {@code [<system> sys] <user> question <assistant> answer <end>}. The prompt ends with {@code <assistant>}, so
 * P(answer | question) is the probability of the answer tokens followed by {@code <end>}.
 */
public final class ChatFormat {
    private final Tokenizer tok;

    public ChatFormat(Tokenizer tok) { this.tok = tok; }

    public Tokenizer tokenizer() { return tok; }

    /** Prompt ids for a chat; {@code system} may be null or empty for none. */
    public int[] prompt(String system, String user) {
        int[] s = system == null || system.isEmpty() ? new int[0] : tok.encode(system);
        int[] u = tok.encode(user);
        int n = (s.length > 0 ? s.length + 1 : 0) + u.length + 2;
        int[] out = new int[n];
        int k = 0;
        if (s.length > 0) {
            out[k++] = tok.system();
            System.arraycopy(s, 0, out, k, s.length);
            k += s.length;
        }
        out[k++] = tok.user();
        System.arraycopy(u, 0, out, k, u.length);
        k += u.length;
        out[k] = tok.assistant();
        return out;
    }

    /** Completion ids: the answer followed by {@code <end>}. */
    public int[] completion(String answer) {
        int[] a = tok.encode(answer);
        int[] out = Arrays.copyOf(a, a.length + 1);
        out[a.length] = tok.end();
        return out;
    }

    /** Text of generated ids, stopping at {@code <end>} (which is not included). */
    public String completionText(int[] ids) {
        int n = 0;
        while (n < ids.length && ids[n] != tok.end()) {
            n++;
        }
        return tok.decode(Arrays.copyOf(ids, n));
    }
}
