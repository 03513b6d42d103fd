package dev.owlet.token;

import java.util.List;

/**
 * Maps text to token ids and back. owlet's models speak through this seam, so a different vocabulary (e.g. a
 * real BPE tokenizer behind a backend) can replace the word-level one without touching model code.
 */
public interface Tokenizer {
    /** Splits plain text (no role markers) into ids. */
    int[] encode(String text);

    /** Joins ids back into text; special tokens render as their names. */
    String decode(int[] ids);

    int vocabSize();

    /** Id of a token string, or -1 when it is not in the vocabulary. */
    int id(String token);

    /** The token string of an id. */
    String token(int id);

    List<String> vocabulary();

    default int pad() { return id(SpecialTokens.PAD); }
    default int unk() { return id(SpecialTokens.UNK); }
    default int system() { return id(SpecialTokens.SYSTEM); }
    default int user() { return id(SpecialTokens.USER); }
    default int assistant() { return id(SpecialTokens.ASSISTANT); }
    default int end() { return id(SpecialTokens.END); }
}
