package dev.owlet.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * AdamW (Loshchilov and Hutter): Adam moments with decoupled weight decay. Updates run outside the autograd
 * graph, in place on the parameters.
 */
public final class AdamW implements ParameterUpdate {
    private final OptimConfig cfg;
    private final NDManager manager;
    private final Map<String, NDArray> m = new LinkedHashMap<>();
    private final Map<String, NDArray> v = new LinkedHashMap<>();
    private int t;

    public AdamW(OptimConfig cfg, NDManager parent) {
        this.cfg = cfg;
        this.manager = parent.newSubManager();
    }

    /**
     * One update with learning rate {@code lr}, given each parameter's gradient. Returns nothing; the caller
     * zeroes gradients afterwards.
     */
    @Override
    public void step(Map<String, NDArray> params, Map<String, NDArray> grads, double lr) {
        t++;
        double bc1 = 1 - Math.pow(cfg.beta1(), t);
        double bc2 = 1 - Math.pow(cfg.beta2(), t);
        for (var e : params.entrySet()) {
            String name = e.getKey();
            NDArray p = e.getValue();
            NDArray g = grads.get(name);
            NDArray mt = m.computeIfAbsent(name, k -> persistent(manager.zeros(p.getShape())));
            NDArray vt = v.computeIfAbsent(name, k -> persistent(manager.zeros(p.getShape())));
            mt.muli(cfg.beta1()).addi(g.mul(1 - cfg.beta1()));
            vt.muli(cfg.beta2()).addi(g.square().muli(1 - cfg.beta2()));
            if (cfg.weightDecay() > 0 && decays(name, p)) {
                p.muli(1 - lr * cfg.weightDecay());
            }
            NDArray update = mt.div(bc1).divi(vt.div(bc2).sqrt().addi(cfg.eps())).muli(lr);
            p.subi(update);
        }
    }

    /** Moments outlive the step's NDScope that first creates them. */
    private static NDArray persistent(NDArray a) {
        ai.djl.ndarray.NDScope.unregister(a);
        return a;
    }

    /** GPT-2 practice: decay matrices (embeddings included), never biases or LayerNorm gains. */
    private static boolean decays(String name, NDArray p) {
        return p.getShape().dimension() >= 2;
    }

    public int stepCount() { return t; }

    @Override
    public void close() { manager.close(); }
}
