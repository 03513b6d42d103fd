package dev.owlet.train;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.function.Supplier;

/**
 * Backpropagation that several threads may run at once, each for its own model.
 *
 * <p>Why not the engine's {@code GradientCollector}: DJL allows one collector in the whole process (a static flag),
 * so two students training side by side (see the pipeline's workers) would fail, though the engine itself keeps
 * gradient mode per thread. This does what that collector does, per thread: gradient mode on while the loss is
 * built, backward from a ones seed, the thread's previous mode restored.
 */
public final class Gradients {
    private Gradients() {}

    /** Builds the loss with gradients recorded, backpropagates it into the parameters' gradients, returns it. */
    public static NDArray backward(Supplier<NDArray> loss) {
        boolean before = JniUtils.isGradMode();
        JniUtils.setGradMode(true);
        try {
            NDArray l = loss.get();
            NDArray seed = l.getManager().ones(l.getShape(), l.getDataType());                     // dL/dL = 1
            JniUtils.backward((PtNDArray) l, (PtNDArray) seed, false, false);
            return l;
        } finally {
            JniUtils.setGradMode(before);
        }
    }

    /**
     * Sets this thread's gradient mode off, as the engine sets it on the thread that loads it: a new thread starts
     * with recording on, and would then refuse the optimizer's in-place updates of the parameters.
     */
    public static void inferenceThread() {
        JniUtils.setGradMode(false);
    }
}
