package dev.owlet.train;

import ai.djl.ndarray.NDArray;
import java.util.Map;

/** One optimizer update of named parameters from their gradients, at a given learning rate. */
interface ParameterUpdate extends AutoCloseable {
    void step(Map<String, NDArray> params, Map<String, NDArray> grads, double lr);

    @Override
    void close();
}
