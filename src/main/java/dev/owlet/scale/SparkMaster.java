package dev.owlet.scale;

import dev.owlet.experiment.InputError;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Spark master URL owlet can run on, checked before any stage runs: an embedded {@code local[N]} Spark (or
 * {@code local}, {@code local[*]}) or a standalone cluster's {@code spark://HOST:PORT[,HOST:PORT...]}.
 *
 * <p>Why only these two: they need nothing beyond spark-core (YARN and Kubernetes bring their own modules and
 * Hadoop configuration), and a standalone master that cannot be reached would otherwise only show as Spark retrying
 * registration for a minute and then hanging with no executors, after the run's teachers had trained.
 *
 * @param url as given
 * @param local whether it is an embedded Spark in this process
 * @param slots tasks a local master runs at once (0 for a cluster: its executors decide)
 * @param masters a cluster's master addresses (empty for local)
 */
public record SparkMaster(String url, boolean local, int slots, List<InetSocketAddress> masters) {
    private static final Pattern LOCAL = Pattern.compile("local(?:\\[(\\*|\\d+)(?:,\\s*\\d+)?])?");
    private static final Pattern HOST_PORT = Pattern.compile("(\\[[^]]+]|[^:,\\s]+):(\\d{1,5})");

    public SparkMaster {
        masters = List.copyOf(masters);
    }

    /** {@code url} parsed, or bad input naming it. */
    public static SparkMaster parse(String url) {
        String u = url == null ? "" : url.trim();
        Matcher m = LOCAL.matcher(u);
        if (m.matches()) {
            int cores = Runtime.getRuntime().availableProcessors();
            int n = m.group(1) == null ? 1 : m.group(1).equals("*") ? cores : parseSlots(u, m.group(1));
            return new SparkMaster(u, true, n, List.of());
        }
        if (u.startsWith("spark://")) {
            List<InetSocketAddress> hosts = new ArrayList<>();
            for (String hp : u.substring("spark://".length()).split(",")) {
                Matcher h = HOST_PORT.matcher(hp.trim());
                int port = h.matches() ? Integer.parseInt(h.group(2)) : -1;
                if (port < 1 || port > 65535) {
                    throw new InputError("--master " + url + ": expected spark://HOST:PORT[,HOST:PORT...], not '" + hp + "'");
                }
                hosts.add(InetSocketAddress.createUnresolved(h.group(1).replaceAll("^\\[|]$", ""), port));
            }
            return new SparkMaster(u, false, 0, hosts);
        }
        throw new InputError("--master " + url + ": owlet's Spark engine runs on local, local[N], local[*] (an embedded"
                + " Spark) or spark://HOST:PORT (a standalone cluster)");
    }

    private static int parseSlots(String url, String n) {
        try {
            int v = Integer.parseInt(n);
            if (v >= 1) return v;
        } catch (NumberFormatException e) {
            // too many digits: reported below
        }
        throw new InputError("--master " + url + ": local[N] needs N of at least 1");
    }

    /**
     * Fails with bad input naming the URL unless one of a cluster's masters accepts a connection within
     * {@code timeoutMillis} (a local master needs nothing).
     */
    public void checkReachable(int timeoutMillis) {
        if (local) return;
        List<String> why = new ArrayList<>();
        for (InetSocketAddress a : masters) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(a.getHostString(), a.getPort()), timeoutMillis);
                return;
            } catch (IOException | IllegalArgumentException e) {
                why.add(a.getHostString() + ":" + a.getPort() + " (" + e.getMessage() + ")");
            }
        }
        throw new InputError("--master " + url + ": no Spark master answers at " + String.join(", ", why));
    }

    /**
     * Engine threads each task trains on: the given number, or for a local master this machine's engine threads
     * shared among its slots, so that slots x threads fit the cores (a cluster task: one, unless asked).
     */
    public int taskThreads(Integer asked, int engineThreads) {
        if (asked != null) {
            if (asked < 1) throw new InputError("--task-threads must be at least 1, not " + asked);
            return asked;
        }
        return local ? Math.max(1, engineThreads / slots) : 1;
    }
}
