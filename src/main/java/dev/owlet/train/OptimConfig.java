package dev.owlet.train;

/**
 * AdamW with linear warmup and cosine decay to {@code minLrRatio * lr}, and global-norm gradient clipping.
 *
 * @param lr peak learning rate
 * @param weightDecay decoupled weight decay, applied to matrices only (not biases or LayerNorm gains)
 * @param warmupSteps linear warmup from 0 to lr
 * @param totalSteps schedule length; the rate reaches its minimum here
 * @param minLrRatio final rate as a fraction of lr
 * @param gradClip maximum global gradient norm; 0 disables clipping
 */
public record OptimConfig(double lr, double weightDecay, double beta1, double beta2, double eps,
                          int warmupSteps, int totalSteps, double minLrRatio, double gradClip) {
    public OptimConfig {
        if (!(lr > 0)) throw new IllegalArgumentException("lr must be positive, got " + lr);
        if (weightDecay < 0) throw new IllegalArgumentException("weight_decay must be >= 0, got " + weightDecay);
        if (beta1 < 0 || beta1 >= 1) throw new IllegalArgumentException("beta1 must be in [0,1), got " + beta1);
        if (beta2 < 0 || beta2 >= 1) throw new IllegalArgumentException("beta2 must be in [0,1), got " + beta2);
        if (warmupSteps < 0) throw new IllegalArgumentException("warmup_steps must be >= 0, got " + warmupSteps);
        if (totalSteps <= 0) throw new IllegalArgumentException("steps must be positive, got " + totalSteps);
        if (minLrRatio < 0 || minLrRatio > 1) throw new IllegalArgumentException("min_lr_ratio must be in [0,1], got " + minLrRatio);
        if (gradClip < 0) throw new IllegalArgumentException("grad_clip must be >= 0, got " + gradClip);
    }

    /** nanoGPT-like defaults for a given rate and length. */
    public static OptimConfig of(double lr, int totalSteps) {
        return new OptimConfig(lr, 0.01, 0.9, 0.95, 1e-8, Math.min(100, totalSteps / 10), totalSteps, 0.1, 1.0);
    }

    /**
     * Constant rate (no warmup, no decay), plain Adam (the paper's student optimizer). Note Adam's scale
     * invariance: a student sitting at its target still takes steps of about lr in the direction of rounding
     * noise, which is part of why control students drift a little.
     */
    public static OptimConfig constant(double lr, int totalSteps) {
        return new OptimConfig(lr, 0.0, 0.9, 0.999, 1e-8, 0, totalSteps, 1.0, 1.0);
    }

    /** Learning rate at a 0-based step. */
    public double lrAt(int step) {
        if (step < warmupSteps) {
            return lr * (step + 1) / warmupSteps;
        }
        if (step >= totalSteps) {
            return lr * minLrRatio;
        }
        double progress = (double) (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
        double cosine = 0.5 * (1 + Math.cos(Math.PI * progress));
        return lr * (minLrRatio + (1 - minLrRatio) * cosine);
    }
}
