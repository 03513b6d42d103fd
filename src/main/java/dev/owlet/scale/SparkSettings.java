package dev.owlet.scale;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How a run uses Spark: where ({@code master}), how many engine threads each task trains on, and any further
 * Spark settings ({@code --conf KEY=VALUE}).
 */
public record SparkSettings(SparkMaster master, int taskThreads, String appName, Map<String, String> conf) {
    private static final String HADOOP = "spark.hadoop.";

    public SparkSettings {
        if (taskThreads < 1) throw new IllegalArgumentException("task threads must be at least 1, not " + taskThreads);
        conf = Map.copyOf(conf);
    }

    /**
     * The Hadoop settings a run folder URI is opened with, on the driver and every executor alike: Spark's own
     * convention, every {@code spark.hadoop.KEY} (from {@code --spark-conf}, or spark-submit's {@code --conf}, which
     * reaches this JVM as a system property) as {@code KEY}, so one setting serves Spark and owlet.
     */
    public Map<String, String> hadoopConf() {
        Map<String, String> m = new LinkedHashMap<>();
        for (String k : System.getProperties().stringPropertyNames()) {
            if (k.startsWith(HADOOP)) m.put(k.substring(HADOOP.length()), System.getProperty(k));
        }
        conf.forEach((k, v) -> {
            if (k.startsWith(HADOOP)) m.put(k.substring(HADOOP.length()), v);
        });
        return Map.copyOf(m);
    }
}
