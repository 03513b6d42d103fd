package dev.owlet.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import dev.owlet.model.Gpt;
import dev.owlet.model.Lora;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs optimizer steps on a {@link Gpt}. Each step lives in its own {@link NDScope}, so activations, gradient
 * views and scalars are freed when it ends; only parameters and optimizer moments persist.
 */
public final class Trainer implements AutoCloseable {
    /** Computes a scalar loss from the model's logits on a batch, inside the step's scope. */
    @FunctionalInterface
    public interface Objective {
        NDArray loss(Gpt model, TokenBatch batch, NDManager step);
    }

    private final Gpt model;
    private final OptimConfig cfg;
    private final ParameterUpdate adam;
    /** What the optimizer updates, by name: the selected base parameters, or the adapter's A and B. */
    private final Map<String, NDArray> trained = new LinkedHashMap<>();
    private final Lora adapter;
    private final List<TrainingListener> listeners = new ArrayList<>();
    private final long start = System.nanoTime();
    private int step;

    public Trainer(Gpt model, OptimConfig cfg) {
        this(model, cfg, TrainableParams.ALL);
    }

    /** Trains only the parameters {@code trainable} selects; the others keep their values and get no gradient. */
    public Trainer(Gpt model, OptimConfig cfg, TrainableParams trainable) {
        this(model, cfg, trainable, Optimizer.ADAM);
    }

    /** As above, with {@code optimizer} doing the updates ({@code cfg}'s moments and decay apply to Adam only). */
    public Trainer(Gpt model, OptimConfig cfg, TrainableParams trainable, Optimizer optimizer) {
        this(model, cfg, trainable, optimizer, null);
    }

    /**
     * As above; with {@link TrainableParams#LORA} the optimizer updates {@code adapter}'s matrices only (it must be
     * attached to {@code model}) and every base weight stays as it is, bit for bit. {@code adapter} is null otherwise.
     */
    public Trainer(Gpt model, OptimConfig cfg, TrainableParams trainable, Optimizer optimizer, Lora adapter) {
        if ((trainable == TrainableParams.LORA) != (adapter != null)) {
            throw new IllegalArgumentException("trainable lora needs an adapter, and an adapter needs trainable lora (got "
                    + trainable.key() + (adapter == null ? " without one)" : " with one)"));
        }
        this.model = model;
        this.cfg = cfg;
        this.adapter = adapter;
        this.adam = optimizer == Optimizer.SGD ? new Sgd() : new AdamW(cfg, model.manager());
        int layers = model.config().layers();
        model.parameters().forEach((k, p) -> {
            boolean on = trainable.trains(k, layers);
            p.setRequiresGradient(on);
            if (on) trained.put(k, p);
        });
        if (adapter != null) {
            adapter.parameters().values().forEach(p -> p.setRequiresGradient(true));
            trained.putAll(adapter.parameters());
        }
    }

    public Trainer addListener(TrainingListener l) {
        listeners.add(l);
        return this;
    }

    /** Next-token cross-entropy on completion tokens. */
    public static Objective crossEntropy() {
        return (model, batch, m) -> Losses.maskedCrossEntropy(model.forward(batch.inputs(m), true),
                batch.targets(m), batch.mask(m));
    }

    /**
     * {@link #crossEntropy()} computing the head at the loss positions only ({@code Gpt.forwardAt}): the same loss up
     * to float rounding, cheaper where prompts are long. Students train with it; teachers and pretraining keep
     * {@link #crossEntropy()}, so the checkpoints and teachers owlet has made come out of its commands bit for bit.
     */
    public static Objective crossEntropyAtLoss() {
        return (model, batch, m) -> batch.maskedTokens() == 0
                ? crossEntropy().loss(model, batch, m) // nothing to read: the zero-gradient loss of the masked form
                : Losses.crossEntropyAt(model.forwardAt(batch.inputs(m), batch.lossPositions(m), null, true),
                        batch.lossTargets(m));
    }

    /** One optimizer step; returns the loss before the update. */
    public double step(TokenBatch batch, Objective objective) {
        try (NDScope scope = new NDScope(); NDManager m = model.manager().newSubManager()) {
            NDArray l = Gradients.backward(() -> objective.loss(model, batch, m));
            return update(l.getFloat());
        }
    }

    /** A part of a batch and the objective that reads it (soft labels differ per part). */
    public record Part(TokenBatch batch, Objective objective) {}

    /**
     * One optimizer step on a batch computed in parts: each part's mean loss weighted by its share of the batch's
     * loss tokens, so the accumulated gradient is the whole batch's (the engine sums gradients across backward
     * calls) up to float rounding. Parts of rows of similar length carry less padding than the whole batch.
     *
     * @return the whole batch's loss before the update
     */
    public double step(List<Part> parts) {
        if (parts.size() == 1) return step(parts.get(0).batch(), parts.get(0).objective());
        int total = 0;
        for (Part p : parts) total += p.batch().maskedTokens();
        // no loss token anywhere: the zero-gradient step the whole batch would take
        if (total == 0) return step(parts.get(0).batch(), parts.get(0).objective());
        try (NDScope scope = new NDScope(); NDManager m = model.manager().newSubManager()) {
            double loss = 0;
            for (Part p : parts) {
                int n = p.batch().maskedTokens();
                if (n == 0) continue;
                NDArray share = m.create((float) n / total); // an array, not a Java number (see Gpt's scale)
                loss += Gradients.backward(() -> p.objective().loss(model, p.batch(), m).mul(share)).getFloat();
            }
            return update(loss);
        }
    }

    /** Clips the gradients the backward calls left, updates what is trained, zeroes the gradients. */
    private double update(double loss) {
        double lr = cfg.lrAt(step);
        Map<String, NDArray> grads = new LinkedHashMap<>();
        trained.forEach((k, p) -> grads.put(k, p.getGradient()));
        double norm = clip(grads);
        adam.step(trained, grads, lr);
        grads.values().forEach(g -> g.subi(g)); // torch accumulates .grad across backward calls
        step++;
        TrainingListener.StepInfo info = new TrainingListener.StepInfo(step, cfg.totalSteps(), loss, lr, norm,
                System.nanoTime() - start);
        listeners.forEach(li -> li.onStep(info));
        return loss;
    }

    /** Scales gradients in place so their global L2 norm is at most gradClip; returns the norm before. */
    private double clip(Map<String, NDArray> grads) {
        double sq = 0;
        for (NDArray g : grads.values()) {
            sq += g.square().sum().getFloat();
        }
        double norm = Math.sqrt(sq);
        if (cfg.gradClip() > 0 && norm > cfg.gradClip()) {
            float s = (float) (cfg.gradClip() / (norm + 1e-6));
            grads.values().forEach(g -> g.muli(s));
        }
        return norm;
    }

    /** Notifies listeners that training ended. */
    public void finish(double lastLoss) {
        TrainingListener.StepInfo info = new TrainingListener.StepInfo(step, cfg.totalSteps(), lastLoss,
                cfg.lrAt(step), 0, System.nanoTime() - start);
        listeners.forEach(li -> li.onEnd(info));
    }

    public int stepCount() { return step; }

    @Override
    public void close() {
        adam.close();
        model.setRequiresGradient(false);
        if (adapter != null) adapter.parameters().values().forEach(p -> p.setRequiresGradient(false));
    }
}
