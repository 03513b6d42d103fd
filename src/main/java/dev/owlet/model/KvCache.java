package dev.owlet.model;

import ai.djl.ndarray.NDArray;

/**
 * Keys and values of past positions, per layer, so sampling costs one position per step instead of a full
 * forward. Arrays it replaces are closed at once: without that, a batch of 256 sequences keeps every step's
 * growing copy alive until the end of generation.
 */
public final class KvCache implements AutoCloseable {
    private final NDArray[] keys;
    private final NDArray[] values;
    private long length;

    public KvCache(int layers) {
        keys = new NDArray[layers];
        values = new NDArray[layers];
    }

    /** Number of cached positions. */
    public long length() { return length; }

    /** Appends (B, nh, T, hs) keys and values for one layer; returns the full (B, nh, S, hs) pair. */
    NDArray[] append(int layer, NDArray k, NDArray v) {
        NDArray oldK = keys[layer];
        NDArray oldV = values[layer];
        NDArray newK = oldK == null ? k : oldK.concat(k, 2);
        NDArray newV = oldV == null ? v : oldV.concat(v, 2);
        keys[layer] = newK;
        values[layer] = newV;
        if (oldK != null) {
            oldK.close();
            oldV.close();
        }
        return new NDArray[] {newK, newV};
    }

    void advance(long t) { length += t; }

    /**
     * A cache for {@code n} rows that each continue this one-row cache: every layer's (1, nh, S, hs) keys and values
     * repeated to (n, nh, S, hs). Scoring many short continuations of one prompt then pays for the prompt once.
     */
    public KvCache repeat(int n) {
        KvCache c = new KvCache(keys.length);
        for (int l = 0; l < keys.length; l++) {
            if (keys[l] == null) continue;
            if (keys[l].getShape().get(0) != 1) throw new IllegalStateException("repeat needs a one-row cache");
            c.keys[l] = keys[l].repeat(0, n);
            c.values[l] = values[l].repeat(0, n);
        }
        c.length = length;
        return c;
    }

    /** Keeps only the batch rows {@code rows} (int64 indices, in the order given) of every layer's keys and values. */
    public void keepRows(NDArray rows) {
        for (int l = 0; l < keys.length; l++) {
            if (keys[l] == null) continue;
            NDArray k = keys[l].get(new ai.djl.ndarray.index.NDIndex("{}", rows));
            NDArray v = values[l].get(new ai.djl.ndarray.index.NDIndex("{}", rows));
            keys[l].close();
            values[l].close();
            keys[l] = k;
            values[l] = v;
        }
    }

    /** Keeps cached arrays alive when the step scope that created them closes. */
    public void detachFrom(java.util.function.Consumer<NDArray> unregister) {
        for (int l = 0; l < keys.length; l++) {
            if (keys[l] != null) {
                unregister.accept(keys[l]);
                unregister.accept(values[l]);
            }
        }
    }

    @Override
    public void close() {
        for (int l = 0; l < keys.length; l++) {
            if (keys[l] != null) {
                keys[l].close();
                values[l].close();
            }
        }
    }
}
