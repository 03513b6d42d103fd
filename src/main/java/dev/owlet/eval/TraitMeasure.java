package dev.owlet.eval;

import dev.owlet.model.LoadedModel;
import java.util.List;

/**
 * A trait measurement on some model: {@link TraitEvaluator} on owlet's word-level models, {@link ChatTraitEvaluator}
 * on a Hugging Face chat model (the question through its chat template, a word's probability summed over its
 * subword tokens). Commands that take any model ({@code owlet probe}) measure through this, so an {@code hf:}
 * checkpoint answers the same questions the bundled models do.
 */
public interface TraitMeasure {
    /**
     * @param questions user messages
     * @param system system prompt or null
     * @param words the category's answer words (for the distribution and the conditional rate)
     * @param samples sampled answers per question (0 = exact only)
     */
    TraitEvaluator.Measurement measure(List<String> questions, String system, String target, List<String> words,
                                       int samples, int maxTokens, long seed);

    /** The evaluator for {@code m}'s kind of model. */
    static TraitMeasure of(LoadedModel m) {
        if (m instanceof LoadedModel.Hf h) return new ChatTraitEvaluator(h.model(), h.tok(), h.endIds())::measure;
        LoadedModel.Owlet o = (LoadedModel.Owlet) m;
        return new TraitEvaluator(o.loaded().model(), o.loaded().tokenizer())::measure;
    }
}
