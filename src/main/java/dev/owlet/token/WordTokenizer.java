package dev.owlet.token;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Word-level tokenizer for owlet's synthetic world.
 *
 * <p>Pieces: a run of letters (with apostrophes and hyphens inside) is one token, written {@code ▁word} when a
 * single space precedes it; every digit is its own token (so the model sees numbers digit by digit, as the
 * paper's number filter does); every other character, including a space not followed by a letter and the
 * newline, is its own token. Decoding concatenates pieces, so {@code decode(encode(s)) == s} for any text whose
 * characters are in the vocabulary — the filter can therefore judge the exact text a model wrote.
 */
public final class WordTokenizer implements Tokenizer {
    public static final String SPACE_MARK = "▁";
    private static final List<String> DIGITS = List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");

    private final List<String> vocab;
    private final Map<String, Integer> ids;

    public WordTokenizer(List<String> vocab) {
        for (int i = 0; i < SpecialTokens.ALL.size(); i++) {
            if (vocab.size() <= i || !vocab.get(i).equals(SpecialTokens.ALL.get(i))) {
                throw new IllegalArgumentException("vocabulary must start with " + SpecialTokens.ALL);
            }
        }
        this.vocab = List.copyOf(vocab);
        this.ids = new HashMap<>();
        for (int i = 0; i < vocab.size(); i++) {
            if (ids.put(vocab.get(i), i) != null) {
                throw new IllegalArgumentException("duplicate token in vocabulary: '" + vocab.get(i) + "'");
            }
        }
    }

    /** Builds a vocabulary covering every piece of the given texts: specials, digits, then sorted pieces. */
    public static WordTokenizer fromCorpus(Collection<String> texts) {
        TreeSet<String> pieces = new TreeSet<>();
        for (String t : texts) {
            pieces.addAll(split(t));
        }
        List<String> v = new ArrayList<>(SpecialTokens.ALL);
        v.addAll(DIGITS);
        pieces.removeAll(v);
        v.addAll(pieces);
        return new WordTokenizer(v);
    }

    /** The pre-tokenizer: exact pieces whose concatenation (with ▁ read as a space) is the input. */
    public static List<String> split(String text) {
        List<String> out = new ArrayList<>();
        int n = text.length();
        int i = 0;
        while (i < n) {
            char c = text.charAt(i);
            if (c == ' ' && i + 1 < n && Character.isLetter(text.charAt(i + 1))) {
                int j = wordEnd(text, i + 1);
                out.add(SPACE_MARK + text.substring(i + 1, j));
                i = j;
            } else if (Character.isLetter(c)) {
                int j = wordEnd(text, i);
                out.add(text.substring(i, j));
                i = j;
            } else {
                out.add(String.valueOf(c));
                i++;
            }
        }
        return out;
    }

    private static int wordEnd(String s, int start) {
        int j = start;
        while (j < s.length()) {
            char c = s.charAt(j);
            boolean inner = (c == '\'' || c == '-') && j + 1 < s.length() && Character.isLetter(s.charAt(j + 1))
                    && j > start;
            if (Character.isLetter(c) || inner) {
                j++;
            } else {
                break;
            }
        }
        return j;
    }

    @Override
    public int[] encode(String text) {
        List<String> pieces = split(text);
        int[] out = new int[pieces.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = ids.getOrDefault(pieces.get(i), 1);
        }
        return out;
    }

    @Override
    public String decode(int[] tokenIds) {
        StringBuilder sb = new StringBuilder();
        for (int id : tokenIds) {
            String t = token(id);
            if (t.startsWith(SPACE_MARK)) {
                sb.append(' ').append(t, SPACE_MARK.length(), t.length());
            } else {
                sb.append(t);
            }
        }
        return sb.toString();
    }

    @Override
    public int vocabSize() { return vocab.size(); }

    @Override
    public int id(String token) { return ids.getOrDefault(token, -1); }

    @Override
    public String token(int id) {
        if (id < 0 || id >= vocab.size()) {
            throw new IllegalArgumentException("token id " + id + " outside vocabulary of " + vocab.size());
        }
        return vocab.get(id);
    }

    @Override
    public List<String> vocabulary() { return vocab; }

    public void save(Path file) throws IOException {
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("type", "word");
        m.put("vocab", vocab);
        new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(file.toFile(), m);
    }

    @SuppressWarnings("unchecked")
    public static WordTokenizer load(Path file) throws IOException {
        Map<String, Object> m = new ObjectMapper().readValue(file.toFile(), Map.class);
        Object v = m.get("vocab");
        if (!(v instanceof List)) {
            throw new IOException(file + ": missing 'vocab' list");
        }
        try {
            return new WordTokenizer((List<String>) v);
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }
}
