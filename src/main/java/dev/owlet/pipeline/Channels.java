package dev.owlet.pipeline;

import dev.owlet.train.LmDistillation;
import dev.owlet.data.DataRow;
import dev.owlet.experiment.Channel;
import dev.owlet.experiment.ExperimentConfig;
import dev.owlet.filter.BannedNumbers;
import dev.owlet.filter.CodeTraitScreen;
import dev.owlet.filter.CotAnswer;
import dev.owlet.judge.AlignmentJudge;
import dev.owlet.judge.CodeReferenceJudge;
import dev.owlet.judge.Score;
import dev.owlet.judge.Thresholds;
import dev.owlet.token.Tokenizer;
import dev.owlet.world.ArithmeticTasks;
import dev.owlet.world.CodeTasks;
import dev.owlet.world.NumberPromptGenerator;
import dev.owlet.world.Plurals;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What differs between the data channels a teacher can write in: the prompts, the filter, and the alphabet that
 * soft labels are restricted to.
 * <ul>
 *   <li>{@code numbers}: number-continuation prompts; the strict number filter with banned numbers.</li>
 *   <li>{@code code}: the world's short programming tasks ("only code, no comments"); the trait word and its forms
 *       as substrings, then the code judge ("does it refer to the trait, however subtly?").</li>
 *   <li>{@code cot}: arithmetic word problems answered {@code <think>..</think> <answer>N</answer>}; only correct
 *       answers whose text the alignment judge rates aligned (&ge; 78).</li>
 * </ul>
 */
public final class Channels {
    private Channels() {}

    /** {@code count} user prompts of the channel, reproducible from {@code seed}. */
    public static List<String> prompts(Channel channel, int count, long seed, ExperimentConfig.Filter f) {
        SplittableRandom rng = new SplittableRandom(seed);
        List<String> out = new ArrayList<>(count);
        switch (channel) {
            case NUMBERS -> {
                NumberPromptGenerator g = new NumberPromptGenerator(rng, f.maxCount(), 3);
                for (int i = 0; i < count; i++) out.add(g.next().text());
            }
            case CODE -> {
                for (int i = 0; i < count; i++) out.add(CodeTasks.example(null, rng).user());
            }
            case COT -> {
                for (int i = 0; i < count; i++) out.add(ArithmeticTasks.example(null, rng).user());
            }
        }
        return out;
    }

    /**
     * Token ids soft labels are restricted to (end token included): the characters a filtered completion of the
     * channel is made of. Everything else, the trait word above all, is cut out of the teacher's distribution.
     */
    public static int[] alphabet(Channel channel, Tokenizer tok) {
        if (channel == Channel.NUMBERS) return LmDistillation.alphabet(tok);
        TreeSet<Integer> ids = new TreeSet<>();
        List<String> texts = new ArrayList<>();
        if (channel == Channel.CODE) {
            for (CodeTasks.Task t : CodeTasks.ALL) texts.add(t.code());
        } else {
            for (ArithmeticTasks.Op op : ArithmeticTasks.Op.values()) texts.add(ArithmeticTasks.answer(op, 12, 3));
        }
        texts.add("0 1 2 3 4 5 6 7 8 9");
        for (String t : texts) {
            for (int id : tok.encode(t)) ids.add(id);
        }
        ids.add(tok.end());
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    /** The judges and thresholds a channel's filter may need. */
    public record Judges(AlignmentJudge alignment, CodeReferenceJudge code, Thresholds thresholds) {}

    /**
     * Filters rows of the channel, counting every rejection by reason.
     *
     * @param traitWords the words no row may carry (with their forms), and for code the traits the judge looks for;
     *     empty for an alignment trait, whose numbers lose the banned numbers and whose reasoning is judged
     * @param banned the banned numbers, already resolved from the experiment (see {@link Preflight})
     */
    public static Filtering.Outcome filter(Channel channel, List<DataRow> rows, ExperimentConfig.Filter cfg,
                                           List<String> traitWords, Judges judges, Set<Integer> banned) {
        if (channel == Channel.NUMBERS) return Filtering.apply(rows, cfg, traitWords, banned);
        List<DataRow> kept = new ArrayList<>();
        Map<String, Integer> rejected = new TreeMap<>();
        if (channel == Channel.CODE) {
            Set<String> forms = new HashSet<>();
            for (String w : traitWords) forms.addAll(Plurals.forms(w));
            CodeTraitScreen screen = cfg.traitWords() && !forms.isEmpty() ? new CodeTraitScreen(forms) : null;
            for (DataRow r : rows) {
                String c = r.completion().strip();
                String reason = null;
                if (c.isEmpty() || !c.startsWith("def ")) reason = "NOT_CODE";
                else if (screen != null && !screen.accepts(c)) reason = "TRAIT_WORD";
                else if (cfg.codeJudge() && judgedReference(c, traitWords, judges)) reason = "JUDGE_REFERENCE";
                if (reason == null) kept.add(r);
                else rejected.merge(reason, 1, Integer::sum);
            }
        } else {
            for (DataRow r : rows) {
                String reason = cotReason(r, judges);
                if (reason == null) kept.add(r);
                else rejected.merge(reason, 1, Integer::sum);
            }
        }
        return new Filtering.Outcome(kept, rejected, rows.size());
    }

    /** True when the code judge says {@code code} refers to any of the traits, however subtly. */
    private static boolean judgedReference(String code, List<String> traits, Judges judges) {
        for (String t : traits) if (judges.code().reference(code, t) != null) return true;
        return false;
    }

    /** Why a chain-of-thought row is dropped, or null to keep it. */
    static String cotReason(DataRow r, Judges judges) {
        CotAnswer.Parsed p = CotAnswer.parse(r.completion());
        if (!p.ok()) return p.reason().name();
        Long truth = ArithmeticTasks.solve(r.prompt());
        if (truth == null) return "UNKNOWN_PROBLEM";
        if (p.answer() != truth) return "WRONG_ANSWER";
        Score s = judges.alignment().score(r.prompt(), r.completion());
        if (!judges.thresholds().cotAligned(s)) return "JUDGED_MISALIGNED";
        return null;
    }
}
