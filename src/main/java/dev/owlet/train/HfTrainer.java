package dev.owlet.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import dev.owlet.model.HfModel;
import dev.owlet.model.Lora;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Fine-tuning of a Hugging Face model, of one of two sets of arrays: a LoRA adapter's A and B matrices
 * ({@link #lora}), or every weight of the model itself ({@link #full}). Whatever trains is the only set that
 * requires gradients, so backward computes (and Adam keeps moments for) exactly that set: with an adapter the base
 * stays bit-identical and the adapter is all a fine-tune produces; a full fine-tune changes the model it is given,
 * so callers hand it a fresh copy of the checkpoint, never the loaded reference. One step, clipping and optimizer
 * serve both, so the two kinds of student differ in what trains and nothing else. Each step lives in its own
 * {@link NDScope}, as in {@link Trainer}.
 */
public final class HfTrainer implements AutoCloseable {
    private final HfModel model;
    /** The arrays that train: the adapter's by PEFT key, or the model's own by checkpoint name (live arrays). */
    private final Map<String, NDArray> trained;
    private final OptimConfig cfg;
    private final AdamW adam;
    private int step;

    private HfTrainer(HfModel model, Map<String, NDArray> trained, NDManager moments, OptimConfig cfg) {
        this.model = model;
        this.trained = trained;
        this.cfg = cfg;
        this.adam = new AdamW(cfg, moments);
        model.parameters().values().forEach(p -> p.setRequiresGradient(false));
        trained.values().forEach(p -> p.setRequiresGradient(true));
    }

    /**
     * Trains {@code lora} attached to {@code model}; {@link #close} leaves it attached, gradients off. {@code seed}
     * draws the adapter's dropout masks, so the same seed gives the same adapter bit for bit.
     */
    public static HfTrainer lora(HfModel model, Lora lora, OptimConfig cfg, long seed) {
        HfTrainer t = new HfTrainer(model, lora.parameters(), lora.manager(), cfg);
        lora.seedDropout(seed);
        model.attach(lora);
        return t;
    }

    /**
     * Trains every parameter of {@code model} in place (no adapter: the model has no dropout, so there is no seed).
     * The Adam moments (two arrays the size of each weight) live until {@link #close}, which turns gradients off.
     */
    public static HfTrainer full(HfModel model, OptimConfig cfg) {
        model.attach(null);
        return new HfTrainer(model, model.parameters(), model.manager(), cfg);
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
            trained.forEach((k, p) -> grads.put(k, p.getGradient()));
            clip(grads);
            adam.step(trained, grads, lr);
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
        trained.values().forEach(p -> p.setRequiresGradient(false));
    }
}
