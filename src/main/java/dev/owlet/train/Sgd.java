package dev.owlet.train;

import ai.djl.ndarray.NDArray;
import java.util.Map;

/** Plain stochastic gradient descent: {@code p <- p - lr * g}, in place, outside the autograd graph. */
final class Sgd implements ParameterUpdate {
    @Override
    public void step(Map<String, NDArray> params, Map<String, NDArray> grads, double lr) {
        for (var e : params.entrySet()) {
            NDArray g = grads.get(e.getKey());
            e.getValue().subi(g.mul(lr));                  // g carries no graph: the step runs with recording off
        }
    }

    @Override
    public void close() {}
}
