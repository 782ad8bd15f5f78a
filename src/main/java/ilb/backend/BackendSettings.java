package ilb.backend;

import java.net.URI;

import ilb.inference.Protocol;

/**
 * How ilb treats one model server, as written beside its endpoint in the route file
 * ({@code backend:gpu-0?url=http://10.0.0.7:8000&tier=0&weight=2&capacity=16}).
 *
 * @param id                   names the backend in headers, logs, metrics and the console; its state (breaker,
 *                             latency, health) is kept by this name across route reloads
 * @param url                  base URL of the server; request paths are appended to it. A gRPC server's is
 *                             {@code grpc://host:port}, or {@code http://host:port} with protocol gRPC, without a path;
 *                             over TLS, {@code https://} (either protocol) or {@code grpcs://}
 * @param protocol             the wire the server speaks: HTTP (OpenAI and KServe v2 REST), or GRPC (KServe v2's
 *                             {@code inference.GRPCInferenceService} only: ilb converts KServe REST requests)
 * @param tier                 priority: lower tiers are used first, higher tiers take what they cannot
 * @param weight               share of requests relative to the tier's other backends
 * @param capacity             most requests in flight at once (concurrency limit); 0 when the route file does not
 *                             write it: ilb then learns the limit ({@link Backend#capacity()})
 * @param healthPath           polled to tell whether the server is up; empty turns active checks off. For a gRPC
 *                             server, the call a KServe path stands for ({@code /v2/health/ready}: ServerReady,
 *                             {@code /v2/health/live}, {@code /v2/models/<m>[/versions/<v>]/ready}: ModelReady) or
 *                             the standard health service, {@code grpc.health.v1.Health[/<service>]}
 *                             ({@link GrpcHealthProbe})
 * @param metricsPath          where the server publishes Prometheus metrics; never scraped from a gRPC server (the
 *                             metrics path is HTTP)
 * @param zone                 where it runs (e.g. an availability zone)
 * @param hardware             what it runs on (e.g. {@code a100}, {@code cpu})
 * @param timeoutMillis        the longest the server may stay silent: before its response, or between streamed chunks
 * @param deadlineMillis       the longest a response that is not a stream may take, from sending to its last byte
 *                             (a server that trickles it is not silent, but too slow); streams are bound by silence
 * @param connectTimeoutMillis the longest a connection may take to open
 * @param healthIntervalMillis time between two health checks
 * @param metricsIntervalMillis time between two scrapes of the metrics path; 0 for none
 * @param apiKey               sent to the server as a bearer token, if it wants one
 * @param tls                  how ilb talks TLS to it: set exactly when the url is {@code https://} or
 *                             {@code grpcs://}; null for plain text
 */
public record BackendSettings(String id, URI url, Protocol protocol, int tier, int weight, int capacity,
        String healthPath, String metricsPath, String zone, String hardware, long timeoutMillis, long deadlineMillis,
        long connectTimeoutMillis, long healthIntervalMillis, long metricsIntervalMillis, String apiKey,
        BackendTls tls) {

    public BackendSettings {
        boolean grpcUrl = url != null && isGrpc(url.getScheme());
        if (url == null || url.getHost() == null || !grpcUrl && !"http".equals(url.getScheme())
                && !"https".equals(url.getScheme()) || grpcUrl && url.getPort() < 0) {
            throw new IllegalArgumentException("backend " + id + ": url must be http[s]://host:port[/path] or"
                    + " grpc[s]://host:port, got " + url);
        }
        if (grpcUrl && protocol != Protocol.GRPC) {
            throw new IllegalArgumentException("backend " + id + ": a " + url.getScheme() + ":// url speaks gRPC, not"
                    + " protocol " + protocol.label());
        }
        if (usesTls(url) != (tls != null)) {
            throw new IllegalArgumentException("backend " + id + ": " + url + (tls == null ? " needs TLS settings"
                    : " is plain text: it takes no TLS settings"));
        }
        if (protocol == Protocol.GRPC) {
            String path = url.getRawPath();
            if (path != null && !path.isEmpty() && !path.equals("/")) {
                throw new IllegalArgumentException("backend " + id + ": a gRPC backend's url has no path (its calls"
                        + " are named by their service), got " + url);
            }
            if (!healthPath.isEmpty()) {
                try {
                    GrpcHealthProbe.of(healthPath);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("backend " + id + ": " + e.getMessage(), e);
                }
            }
        }
        if (weight < 1 || capacity < 0 || tier < 0) {
            throw new IllegalArgumentException("backend " + id + ": weight and capacity must be >= 1, tier >= 0");
        }
        if (timeoutMillis < 1 || deadlineMillis < 1) {
            throw new IllegalArgumentException("backend " + id + ": timeout and deadline must be longer than 0");
        }
    }

    /** The same settings with another weight. */
    public BackendSettings withWeight(int newWeight) {
        return new BackendSettings(id, url, protocol, tier, newWeight, capacity, healthPath, metricsPath, zone,
                hardware, timeoutMillis, deadlineMillis, connectTimeoutMillis, healthIntervalMillis,
                metricsIntervalMillis, apiKey, tls);
    }

    /**
     * The protocol a backend written with {@code url} and the {@code protocol} option speaks: the option's
     * ({@code http} or {@code grpc}), or without one, gRPC for a {@code grpc[s]://} url and HTTP for any other.
     *
     * @param option null when the route file does not set it
     */
    public static Protocol protocolOf(String id, URI url, String option) {
        if (option == null) {
            return isGrpc(url.getScheme()) ? Protocol.GRPC : Protocol.HTTP;
        }
        for (Protocol protocol : Protocol.values()) {
            if (protocol.label().equals(option)) {
                return protocol;
            }
        }
        throw new IllegalArgumentException("backend " + id + ": protocol must be http or grpc, got '" + option + "'");
    }

    private static boolean isGrpc(String scheme) {
        return "grpc".equals(scheme) || "grpcs".equals(scheme);
    }

    /** Whether ilb talks TLS to the server of this url: {@code https://} and {@code grpcs://}. */
    public static boolean usesTls(URI url) {
        return "https".equals(url.getScheme()) || "grpcs".equals(url.getScheme());
    }

    /** The health path a backend has unless its route file sets one: KServe's ServerReady for a gRPC backend. */
    public static String defaultHealthPath(Protocol protocol) {
        return protocol == Protocol.GRPC ? "/v2/health/ready" : "/health";
    }

    /** Whether the metrics path is scraped: it is set, at an interval, on a server that speaks HTTP. */
    public boolean scrapesMetrics() {
        return protocol == Protocol.HTTP && !metricsPath.isEmpty() && metricsIntervalMillis > 0;
    }

    public String host() {
        return url.getHost();
    }

    public int port() {
        return url.getPort() > 0 ? url.getPort() : tls != null ? 443 : 80;
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
        return id + "(" + url + " tier=" + tier + " weight=" + weight + " capacity=" + (capacity > 0 ? capacity : "learned") + ")";
    }
}
