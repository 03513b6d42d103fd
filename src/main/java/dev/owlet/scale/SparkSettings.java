package dev.owlet.scale;

import java.util.Map;

/**
 * How a run uses Spark: where ({@code master}), how many engine threads each task trains on, and any further
 * Spark settings ({@code --conf KEY=VALUE}).
 */
public record SparkSettings(SparkMaster master, int taskThreads, String appName, Map<String, String> conf) {
    public SparkSettings {
        if (taskThreads < 1) throw new IllegalArgumentException("task threads must be at least 1, not " + taskThreads);
        conf = Map.copyOf(conf);
    }
}
