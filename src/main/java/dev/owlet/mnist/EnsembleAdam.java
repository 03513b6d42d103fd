package dev.owlet.mnist;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import dev.owlet.train.AdamW;
import dev.owlet.train.OptimConfig;
import java.util.ArrayList;
import java.util.List;

/**
 * Plain Adam (Kingma and Ba; no weight decay, constant rate) over an {@link EnsembleMlp}'s parameters: the same
 * arithmetic as owlet's one Adam ({@link AdamW} with decay 0, β = 0.9/0.999, ε = 1e-8), operation for operation,
 * so the two give the same bits (a test holds them to it). Moments are elementwise, so ensemble members stay
 * independent.
 *
 * <p>What differs is only the bookkeeping of the step, which the MNIST ensemble runs thousands of times on
 * megabyte tensors: the constants are arrays made once (not a scalar array per operation), the gradient, about
 * to be zeroed anyway, takes {@code g * (1 - β1)} in place (one large temporary fewer per parameter), and the
 * gradients are zeroed by the engine ({@code grad.zero_()}: one write instead of {@code g - g}'s read and write).
 * Each update runs inside its own {@link NDScope} so temporaries are freed; gradients are zeroed after use
 * because torch accumulates them.
 */
public final class EnsembleAdam {
    private final List<NDArray> params;
    private final List<NDArray> m = new ArrayList<>();
    private final List<NDArray> v = new ArrayList<>();
    private final OptimConfig cfg;
    private final NDManager manager;
    private final NDArray beta1;
    private final NDArray oneMinusBeta1;
    private final NDArray beta2;
    private final NDArray oneMinusBeta2;
    private final NDArray eps;
    private final NDArray lr;
    private int t;

    /** Moments and constants live in a sub-manager of the model's, so they are freed with the model. */
    public EnsembleAdam(EnsembleMlp model, double lr) {
        this.cfg = OptimConfig.constant(lr, Integer.MAX_VALUE);
        this.params = model.parameters();
        this.manager = model.manager().newSubManager();
        for (NDArray p : params) {
            m.add(persistent(manager.zeros(p.getShape())));
            v.add(persistent(manager.zeros(p.getShape())));
        }
        // Float scalars: the engine rounds a double scalar to the tensor's float type before the operation, so
        // these give what AdamW's Java numbers give.
        this.beta1 = scalar(cfg.beta1());
        this.oneMinusBeta1 = scalar(1 - cfg.beta1());
        this.beta2 = scalar(cfg.beta2());
        this.oneMinusBeta2 = scalar(1 - cfg.beta2());
        this.eps = scalar(cfg.eps());
        this.lr = scalar(lr);
    }

    /** One update from the gradients torch has accumulated since the last step; zeroes them. */
    public void step() {
        t++;
        try (NDScope scope = new NDScope()) {
            NDArray bc1 = manager.create((float) (1 - Math.pow(cfg.beta1(), t)));
            NDArray bc2 = manager.create((float) (1 - Math.pow(cfg.beta2(), t)));
            for (int i = 0; i < params.size(); i++) {
                NDArray p = params.get(i);
                NDArray g = p.getGradient();
                NDArray mt = m.get(i);
                NDArray vt = v.get(i);
                NDArray sq = g.square().muli(oneMinusBeta2);                 // (1 - β2) g²
                vt.muli(beta2).addi(sq);
                mt.muli(beta1).addi(g.muli(oneMinusBeta1));                  // g is zeroed below
                NDArray update = mt.div(bc1).divi(vt.div(bc2).sqrt().addi(eps)).muli(lr);
                p.subi(update);
                JniUtils.zeroGrad((PtNDArray) p);                           // torch accumulates .grad
            }
            bc1.close();
            bc2.close();
        }
    }

    public int stepCount() { return t; }

    private NDArray scalar(double x) {
        return persistent(manager.create((float) x));
    }

    private static NDArray persistent(NDArray a) {
        NDScope.unregister(a);
        return a;
    }
}
