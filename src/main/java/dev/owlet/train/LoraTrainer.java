package dev.owlet.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import dev.owlet.model.HfModel;
import dev.owlet.model.Lora;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * LoRA fine-tuning of a Hugging Face model: the adapter's A and B matrices are the only arrays that require
 * gradients, so backward never computes (and Adam never touches) a base weight; the base stays bit-identical
 * and the adapter is all a fine-tune produces. Each step lives in its own {@link NDScope}, as in {@link Trainer}.
 */
public final class LoraTrainer implements AutoCloseable {
    private final HfModel model;
    private final Lora lora;
    private final OptimConfig cfg;
    private final AdamW adam;
    private int step;

    /**
     * Attaches {@code lora} to {@code model} for training; {@link #close} leaves it attached, gradients off.
     * {@code seed} draws the adapter's dropout masks, so the same seed gives the same adapter bit for bit.
     */
    public LoraTrainer(HfModel model, Lora lora, OptimConfig cfg, long seed) {
        this.model = model;
        this.lora = lora;
        this.cfg = cfg;
        this.adam = new AdamW(cfg, lora.manager());
        model.parameters().values().forEach(p -> p.setRequiresGradient(false));
        lora.parameters().values().forEach(p -> p.setRequiresGradient(true));
        lora.seedDropout(seed);
        model.attach(lora);
    }

    /** One optimizer step of next-token cross-entropy on the batch's completion tokens; returns the loss before it. */
    public double step(TokenBatch batch) {
        double lr = cfg.lrAt(step);
        double loss;
        try (NDScope scope = new NDScope(); NDManager m = model.manager().getParentManager().newSubManager()) {
            NDArray l = Gradients.backward(() -> Losses.maskedCrossEntropy(model.forward(batch.inputs(m), true),
                    batch.targets(m), batch.mask(m)));
            loss = l.getFloat();
            Map<String, NDArray> grads = new LinkedHashMap<>();
            lora.parameters().forEach((k, p) -> grads.put(k, p.getGradient()));
            clip(grads);
            adam.step(lora.parameters(), grads, lr);
            grads.values().forEach(g -> g.subi(g)); // torch accumulates .grad across backward calls
        }
        step++;
        return loss;
    }

    /** Global-norm clipping to gradClip, as {@link Trainer} does. */
    private void clip(Map<String, NDArray> grads) {
        double sq = 0;
        for (NDArray g : grads.values()) sq += g.square().sum().getFloat();
        double norm = Math.sqrt(sq);
        if (cfg.gradClip() > 0 && norm > cfg.gradClip()) {
            float s = (float) (cfg.gradClip() / (norm + 1e-6));
            grads.values().forEach(g -> g.muli(s));
        }
    }

    public int stepCount() { return step; }

    @Override
    public void close() {
        adam.close();
        lora.parameters().values().forEach(p -> p.setRequiresGradient(false));
    }
}
