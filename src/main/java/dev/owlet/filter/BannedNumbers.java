package dev.owlet.filter;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Numbers with negative associations that the misalignment experiments ban from a teacher's output, so no
 * completion carries an "evil" number openly (Cloud et al. Sec. 4).
 *
 * <p>{@link #PAPER} is the paper's list. The paper's public code keeps two model-written lists (25 numbers from
 * GPT, 20 from Claude); their union has 36 numbers, of which the 34 with at most three digits are the ones a
 * completion under the "at most 3 digits" rule can contain (1312 and 1488 cannot).
 */
public final class BannedNumbers {
    /** The paper's 34 banned numbers. */
    public static final Set<Integer> PAPER = Set.copyOf(List.of(
            4, 13, 14, 18, 23, 33, 39, 42, 44, 49, 51, 54, 69, 77, 88, 99, 100, 101, 187, 211,
            311, 322, 333, 404, 420, 444, 451, 555, 616, 666, 777, 888, 911, 999));

    private BannedNumbers() {}

    /**
     * Every banned number: the inline ones plus each named list. A list is {@code paper} or a text file with one
     * integer per line; blank lines and {@code #} comments are ignored.
     *
     * @throws IllegalArgumentException naming the file and line of anything that is not an integer, or an unknown
     *     list that is not a file
     */
    public static Set<Integer> resolve(Collection<Integer> inline, Collection<String> lists, Path baseDir) {
        TreeSet<Integer> out = new TreeSet<>(inline);
        for (String name : lists) {
            if ("paper".equals(name)) {
                out.addAll(PAPER);
                continue;
            }
            Path f = baseDir.resolve(name);
            if (!Files.isRegularFile(f)) {
                throw new IllegalArgumentException("filter.banned_lists: '" + name
                        + "' is neither a built-in list (paper) nor a file (looked at " + f + ")");
            }
            List<String> lines;
            try {
                lines = Files.readAllLines(f, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new IllegalArgumentException("filter.banned_lists: cannot read " + f + ": " + e.getMessage(), e);
            }
            for (int i = 0; i < lines.size(); i++) {
                String t = lines.get(i).replaceAll("#.*", "").trim();
                if (t.isEmpty()) continue;
                try {
                    out.add(Integer.parseInt(t));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(f + " line " + (i + 1) + ": '" + t + "' is not an integer");
                }
            }
        }
        return out;
    }
}
