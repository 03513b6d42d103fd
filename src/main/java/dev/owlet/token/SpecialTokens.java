package dev.owlet.token;

import java.util.List;

/** Role and control tokens shared by every owlet vocabulary; they always take ids 0..5 in this order. */
public final class SpecialTokens {
    public static final String PAD = "<pad>";
    public static final String UNK = "<unk>";
    public static final String SYSTEM = "<system>";
    public static final String USER = "<user>";
    public static final String ASSISTANT = "<assistant>";
    public static final String END = "<end>";
    public static final List<String> ALL = List.of(PAD, UNK, SYSTEM, USER, ASSISTANT, END);

    private SpecialTokens() {}
}
