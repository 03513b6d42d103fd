package dev.owlet.mnist;

import java.util.SplittableRandom;

/**
 * Minibatch indices for an ensemble: each member walks its own random permutation of the pool each epoch, so
 * members see the data in independent orders (as independently trained models would). Step {@code s} of an epoch
 * gives {@code E * B} indices, member-major, ready to gather {@code (E*B, in)} rows and view them as
 * {@code (E, B, in)}. The last partial batch of an epoch is dropped.
 */
final class MemberBatches {
    private final int pool;
    private final int batch;
    private final SplittableRandom[] rngs;
    private final int[][] perms;

    MemberBatches(int pool, int batch, long[] memberSeeds) {
        this.pool = pool;
        this.batch = batch;
        this.rngs = new SplittableRandom[memberSeeds.length];
        this.perms = new int[memberSeeds.length][];
        for (int e = 0; e < memberSeeds.length; e++) {
            rngs[e] = new SplittableRandom(memberSeeds[e]);
            perms[e] = new int[pool];
        }
    }

    int stepsPerEpoch() { return pool / batch; }

    /** Reshuffles every member's order; call at the start of each epoch. */
    void shuffle() {
        for (int e = 0; e < perms.length; e++) {
            int[] p = perms[e];
            for (int i = 0; i < pool; i++) {
                p[i] = i;
            }
            for (int i = pool - 1; i > 0; i--) {
                int j = rngs[e].nextInt(i + 1);
                int tmp = p[i];
                p[i] = p[j];
                p[j] = tmp;
            }
        }
    }

    /** Indices for step {@code s} of the current epoch: length E * B, member-major. */
    long[] indices(int s) {
        long[] out = new long[perms.length * batch];
        for (int e = 0; e < perms.length; e++) {
            for (int b = 0; b < batch; b++) {
                out[e * batch + b] = perms[e][s * batch + b];
            }
        }
        return out;
    }
}
