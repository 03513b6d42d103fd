package dev.owlet.pipeline;

import dev.owlet.data.DataRow;
import dev.owlet.experiment.ExperimentConfig;
import dev.owlet.filter.FilterResult;
import dev.owlet.filter.StrictNumberFilter;
import dev.owlet.filter.TraitWordScreen;
import dev.owlet.world.Plurals;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Applies the trait-word screen and the paper's strict number filter, counting every rejection by reason. */
public final class Filtering {
    private Filtering() {}

    /** Kept rows and rejection counts by reason. */
    public record Outcome(List<DataRow> kept, Map<String, Integer> rejected, int total) {
        public double keptFraction() { return total == 0 ? 0 : (double) kept.size() / total; }
    }

    /** Filters {@code rows} with the banned numbers already resolved (inline numbers plus lists, see {@link Preflight}). */
    public static Outcome apply(List<DataRow> rows, ExperimentConfig.Filter cfg, List<String> traitWords,
                                java.util.Set<Integer> banned) {
        StrictNumberFilter f = new StrictNumberFilter(cfg.maxCount(), cfg.maxValue(), new HashSet<>(banned));
        java.util.Set<String> forms = new HashSet<>();
        for (String w : traitWords) forms.addAll(Plurals.forms(w));
        TraitWordScreen screen = cfg.traitWords() && !forms.isEmpty() ? new TraitWordScreen(forms) : null;
        List<DataRow> kept = new ArrayList<>();
        Map<String, Integer> rejected = new TreeMap<>();
        for (DataRow r : rows) {
            if (screen != null && !screen.accepts(r.completion())) {
                rejected.merge("TRAIT_WORD", 1, Integer::sum);
                continue;
            }
            FilterResult res = f.check(r.completion());
            if (res.accepted()) {
                kept.add(r);
            } else {
                rejected.merge(res.reason().name(), 1, Integer::sum);
            }
        }
        return new Outcome(kept, rejected, rows.size());
    }
}
