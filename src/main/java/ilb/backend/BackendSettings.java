package ilb.backend;

import java.net.URI;

/**
 * How ilb treats one model server, as written beside its endpoint in the route file
 * ({@code backend:gpu-0?url=http://10.0.0.7:8000&tier=0&weight=2&capacity=16}).
 *
 * @param id                   names the backend in headers, logs, metrics and the console; its state (breaker,
 *                             latency, health) is kept by this name across route reloads
 * @param url                  base URL of the server; request paths are appended to it
 * @param tier                 priority: lower tiers are used first, higher tiers take what they cannot
 * @param weight               share of requests relative to the tier's other backends
 * @param capacity             most requests in flight at once (concurrency limit)
 * @param healthPath           polled to tell whether the server is up; empty turns active checks off
 * @param metricsPath          where the server publishes Prometheus metrics
 * @param zone                 where it runs (e.g. an availability zone)
 * @param hardware             what it runs on (e.g. {@code a100}, {@code cpu})
 * @param timeoutMillis        the longest the server may stay silent: before its response, or between streamed chunks
 * @param deadlineMillis       the longest a response that is not a stream may take, from sending to its last byte
 *                             (a server that trickles it is not silent, but too slow); streams are bound by silence
 * @param connectTimeoutMillis the longest a connection may take to open
 * @param healthIntervalMillis time between two health checks
 * @param metricsIntervalMillis time between two scrapes of the metrics path; 0 for none
 * @param apiKey               sent to the server as a bearer token, if it wants one
 */
public record BackendSettings(String id, URI url, int tier, int weight, int capacity, String healthPath,
        String metricsPath, String zone, String hardware, long timeoutMillis, long deadlineMillis,
        long connectTimeoutMillis, long healthIntervalMillis, long metricsIntervalMillis, String apiKey) {

    public BackendSettings {
        if (url == null || url.getHost() == null || !"http".equals(url.getScheme())) {
            throw new IllegalArgumentException("backend " + id + ": url must be http://host:port[/path], got " + url);
        }
        if (weight < 1 || capacity < 1 || tier < 0) {
            throw new IllegalArgumentException("backend " + id + ": weight and capacity must be >= 1, tier >= 0");
        }
        if (timeoutMillis < 1 || deadlineMillis < 1) {
            throw new IllegalArgumentException("backend " + id + ": timeout and deadline must be longer than 0");
        }
    }

    /** The same settings with another weight. */
    public BackendSettings withWeight(int newWeight) {
        return new BackendSettings(id, url, tier, newWeight, capacity, healthPath, metricsPath, zone, hardware,
                timeoutMillis, deadlineMillis, connectTimeoutMillis, healthIntervalMillis, metricsIntervalMillis,
                apiKey);
    }

    public String host() {
        return url.getHost();
    }

    public int port() {
        return url.getPort() > 0 ? url.getPort() : 80;
    }

    /**
     * How long a scrape of the metrics path stays fresh: four scrape intervals, at least a second. A scrape may
     * take that long to answer, and telemetry older than that is not trusted.
     */
    public long telemetryFreshMillis() {
        return Math.max(1000, 4 * metricsIntervalMillis);
    }

    /** The URL's own path, without a trailing slash, to put before every request path. */
    public String basePath() {
        // on every request: no regular expression
        String path = url.getRawPath() == null ? "" : url.getRawPath();
        int end = path.length();
        while (end > 0 && path.charAt(end - 1) == '/') {
            end--;
        }
        return path.substring(0, end);
    }

    @Override
    public String toString() {
        // never the API key
        return id + "(" + url + " tier=" + tier + " weight=" + weight + " capacity=" + capacity + ")";
    }
}
