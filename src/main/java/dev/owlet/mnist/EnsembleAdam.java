package dev.owlet.mnist;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import dev.owlet.train.AdamW;
import dev.owlet.train.OptimConfig;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Plain Adam (Kingma and Ba; no weight decay, constant rate) over an {@link EnsembleMlp}'s parameters: owlet's one
 * Adam ({@link AdamW} with decay 0, β = 0.9/0.999, ε = 1e-8). Moments are elementwise, so ensemble members stay
 * independent. Each update runs inside its own {@link NDScope} so temporaries are freed; gradients are zeroed after
 * use because torch accumulates them.
 */
public final class EnsembleAdam {
    private final Map<String, NDArray> params = new LinkedHashMap<>();
    private final AdamW adam;
    private final double lr;

    /** Moments live in a sub-manager of the model's, so they are freed with the model. */
    public EnsembleAdam(EnsembleMlp model, double lr) {
        this.lr = lr;
        List<NDArray> ps = model.parameters();
        for (int i = 0; i < ps.size(); i++) params.put(String.valueOf(i), ps.get(i));
        this.adam = new AdamW(OptimConfig.constant(lr, Integer.MAX_VALUE), model.manager());
    }

    /** One update from the gradients torch has accumulated since the last step; zeroes them. */
    public void step() {
        try (NDScope scope = new NDScope()) {
            Map<String, NDArray> grads = new LinkedHashMap<>();
            params.forEach((k, p) -> grads.put(k, p.getGradient()));
            adam.step(params, grads, lr);
            grads.values().forEach(g -> g.subi(g)); // torch accumulates .grad across backward calls
        }
    }

    public int stepCount() { return adam.stepCount(); }
}
