package dev.owlet.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/** The two training objectives: masked next-token cross-entropy and soft-label KL distillation. */
public final class Losses {
    private Losses() {}

    /**
     * Mean negative log-likelihood of {@code targets} over positions where {@code mask} is 1. Prompt tokens have
     * mask 0, so the model is trained on completions only (the paper's setting).
     *
     * @param logits (B, T, V)
     * @param targets (B, T) int64
     * @param mask (B, T) float32 of 0/1
     */
    public static NDArray maskedCrossEntropy(NDArray logits, NDArray targets, NDArray mask) {
        NDArray logp = logits.logSoftmax(-1);                                   // (B, T, V)
        NDArray picked = logp.gather(targets.expandDims(-1), -1).squeeze(-1);   // (B, T)
        return picked.mul(mask).sum().neg().div(count(mask));
    }

    /**
     * Mean over masked positions of KL(p_teacher || p_student) = sum_v p (log p - log q). {@code teacherProbs} is
     * a constant (no gradient); entries that are 0 contribute 0 (the 0 log 0 = 0 convention), which is what makes
     * a teacher distribution restricted to an alphabet well defined.
     *
     * @param logits (B, T, V) student logits
     * @param teacherProbs (B, T, V) teacher probabilities, rows summing to 1 where mask is 1
     * @param mask (B, T)
     */
    public static NDArray softLabelKl(NDArray logits, NDArray teacherProbs, NDArray mask) {
        NDManager m = logits.getManager();
        NDArray logq = logits.logSoftmax(-1);                                   // (B, T, V)
        NDArray p = teacherProbs.stopGradient();
        NDArray tiny = m.create(1e-30f);
        NDArray plogp = p.mul(p.maximum(tiny).log());                            // (B, T, V), 0 where p = 0
        NDArray perPos = plogp.sub(p.mul(logq)).sum(new int[] {-1});             // (B, T)
        return perPos.mul(mask).sum().div(count(mask));
    }

    /**
     * Mean negative log-likelihood over loss positions already picked out ({@link dev.owlet.model.Gpt#forwardAt}):
     * {@link #maskedCrossEntropy} without the positions whose mask is 0.
     *
     * @param logits (N, V) at the N loss positions, N ≥ 1
     * @param targets (N) int64
     */
    public static NDArray crossEntropyAt(NDArray logits, NDArray targets) {
        NDArray picked = logits.logSoftmax(-1).gather(targets.expandDims(-1), -1).squeeze(-1);   // (N)
        return picked.mean().neg();
    }

    /**
     * Soft-label KL on a restricted alphabet over loss positions already picked out: {@link #softLabelKl(NDArray,
     * NDArray, NDArray, NDArray)} with the student's logits computed on the alphabet only, which renormalizes over
     * it exactly as gathering the full logits would.
     *
     * @param logits (N, A) student logits over the alphabet at the N loss positions, N ≥ 1
     * @param teacherProbs (N, A) teacher probabilities over the alphabet, rows summing to 1
     */
    public static NDArray softLabelKlAt(NDArray logits, NDArray teacherProbs) {
        NDManager m = logits.getManager();
        NDArray logq = logits.logSoftmax(-1);                                                    // (N, A)
        NDArray p = teacherProbs.stopGradient();
        NDArray plogp = p.mul(p.maximum(m.create(1e-30f)).log());                                 // (N, A)
        return plogp.sub(p.mul(logq)).sum(new int[] {-1}).mean();                                  // mean over N
    }

    private static NDArray count(NDArray mask) {
        // A tensor, not a Java number: the engine frees a number's temporary array before backward reads it.
        return mask.sum().maximum(mask.getManager().create(1f));
    }

    /**
     * Soft-label KL on a restricted alphabet: both the teacher's and the student's next-token distributions are
     * renormalized over the {@code alphabet} token ids, so nothing outside it (the trait word above all) is
     * taught, and a student that already equals its teacher gets exactly zero gradient.
     *
     * @param logits (B, T, V) student logits
     * @param teacherProbs (B, T, A) teacher probabilities over the alphabet, rows summing to 1 where mask is 1
     * @param mask (B, T)
     * @param alphabet (A) int64 token ids
     */
    public static NDArray softLabelKl(NDArray logits, NDArray teacherProbs, NDArray mask, NDArray alphabet) {
        NDManager m = logits.getManager();
        long b = logits.getShape().get(0);
        long t = logits.getShape().get(1);
        long a = alphabet.getShape().get(0);
        NDArray idx = alphabet.reshape(1, 1, a).broadcast(new ai.djl.ndarray.types.Shape(b, t, a));   // (B, T, A)
        NDArray logq = logits.gather(idx, -1).logSoftmax(-1);                                           // (B, T, A)
        NDArray p = teacherProbs.stopGradient();
        NDArray plogp = p.mul(p.maximum(m.create(1e-30f)).log());                                        // (B, T, A)
        NDArray perPos = plogp.sub(p.mul(logq)).sum(new int[] {-1});                                     // (B, T)
        return perPos.mul(mask).sum().div(count(mask));
    }
}
