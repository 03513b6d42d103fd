package dev.owlet.mnist;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import java.util.ArrayList;
import java.util.List;

/**
 * Plain Adam (Kingma and Ba; no weight decay, constant rate) over an {@link EnsembleMlp}'s parameters. Moments are
 * elementwise, so ensemble members stay independent. Updates run after the gradient collector has closed, in
 * place, each inside its own {@link NDScope} so temporaries are freed; gradients are zeroed after use because torch
 * accumulates them.
 */
public final class EnsembleAdam {
    private static final double BETA1 = 0.9;
    private static final double BETA2 = 0.999;
    private static final double EPS = 1e-8;
    private final List<NDArray> params;
    private final List<NDArray> m1 = new ArrayList<>();
    private final List<NDArray> m2 = new ArrayList<>();
    private final double lr;
    private int t;

    /** Moments live in the model's manager, so they are freed with the model. */
    public EnsembleAdam(EnsembleMlp model, double lr) {
        this.params = model.parameters();
        this.lr = lr;
        NDManager mgr = model.manager();
        for (NDArray p : params) {
            m1.add(mgr.zeros(p.getShape()));
            m2.add(mgr.zeros(p.getShape()));
        }
    }

    /** One update from the gradients torch has accumulated since the last step; zeroes them. */
    public void step() {
        t++;
        float bc1 = (float) (1 - Math.pow(BETA1, t));
        float bc2 = (float) (1 - Math.pow(BETA2, t));
        try (NDScope scope = new NDScope()) {
            for (int i = 0; i < params.size(); i++) {
                NDArray p = params.get(i);
                NDArray g = p.getGradient();
                m1.get(i).muli(BETA1).addi(g.mul(1 - BETA1));
                m2.get(i).muli(BETA2).addi(g.square().muli(1 - BETA2));
                NDArray update = m1.get(i).div(bc1).divi(m2.get(i).div(bc2).sqrt().addi(EPS)).muli(lr);
                p.subi(update);
                g.subi(g); // torch accumulates .grad across backward calls
            }
        }
    }

    public int stepCount() { return t; }
}
