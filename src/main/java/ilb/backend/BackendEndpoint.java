package ilb.backend;

import java.net.URI;

import ilb.inference.Protocol;
import org.apache.camel.Consumer;
import org.apache.camel.Processor;
import org.apache.camel.Producer;
import org.apache.camel.support.DefaultEndpoint;

/**
 * One model server as a Camel endpoint, with its settings as URI parameters (see {@link BackendSettings}). Sending
 * an {@link ilb.inference.InferenceRequest} to it sends the request to the server; the reply replaces the body.
 * While the endpoint runs, the server's health path is polled, and its metrics path scraped if it speaks HTTP (the
 * metrics of a server that speaks gRPC are not scraped: they are HTTP).
 */
public class BackendEndpoint extends DefaultEndpoint {

    private final String id;
    private String url;
    private int tier;
    /** 0: the hardware's weight (BackendComponent#setHardwareWeights) */
    private int weight;
    /** 0: not written, ilb learns the limit (up to the component's capacity) */
    private int capacity;
    /** null: the protocol's default ({@link BackendSettings#defaultHealthPath}) */
    private String healthPath;
    private String metricsPath = "/metrics";
    private String zone = "";
    private String hardware = "";
    private String timeout;
    private String deadline;
    private String connectTimeout;
    private String healthInterval;
    private String metricsInterval;
    private String apiKey;
    private String protocol;
    private BackendSettings settings;
    private Backend backend;
    private HealthCheck healthCheck;
    private MetricsScrape metricsScrape;

    BackendEndpoint(String uri, BackendComponent component, String id) {
        super(uri, component);
        this.id = id;
    }

    @Override
    public BackendComponent getComponent() {
        return (BackendComponent) super.getComponent();
    }

    /** The backend's live state; available once the endpoint has started. */
    public Backend backend() {
        return backend;
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        if (url == null) {
            throw new IllegalArgumentException("backend:" + id + " needs a url parameter");
        }
        URI uri = URI.create(url);
        Protocol speaks = BackendSettings.protocolOf(id, uri, protocol);
        settings = new BackendSettings(id, uri, speaks, tier,
                weight > 0 ? weight : getComponent().weightOf(hardware), capacity,
                healthPath != null ? healthPath : BackendSettings.defaultHealthPath(speaks), metricsPath, zone,
                hardware, Durations.millis(timeout), Durations.millis(deadline), Durations.millis(connectTimeout),
                Durations.millis(healthInterval), Durations.millis(metricsInterval), apiKey);
        // its channel first: requests see the new settings (a new address) as soon as backend() publishes them
        getComponent().clients().hold(settings);
        backend = getComponent().backend(settings);
        if (!settings.healthPath().isEmpty()) {
            healthCheck = new HealthCheck(backend, getComponent().clients());
            healthCheck.start(settings.healthIntervalMillis());
            backend.healthCheck(healthCheck);
        }
        if (settings.scrapesMetrics()) {
            metricsScrape = new MetricsScrape(backend, getComponent().clients());
            metricsScrape.start(settings.metricsIntervalMillis());
        }
    }

    @Override
    protected void doStop() throws Exception {
        if (healthCheck != null) {
            healthCheck.stop();
            backend.noHealthCheck(healthCheck);
        }
        if (metricsScrape != null) {
            metricsScrape.stop();
        }
        if (settings != null) {
            // what this endpoint held: the backend's settings may be a newer endpoint's by now
            getComponent().clients().release(settings);
        }
        super.doStop();
    }

    @Override
    public Producer createProducer() {
        return new BackendProducer(this);
    }

    @Override
    public Consumer createConsumer(Processor processor) {
        throw new UnsupportedOperationException("backend:" + id + " can only be sent to");
    }

    @Override
    public boolean isLenientProperties() {
        return false;
    }

    public void setUrl(String url) {
        this.url = url;
    }

    public void setTier(int tier) {
        this.tier = tier;
    }

    public void setWeight(int weight) {
        this.weight = weight;
    }

    /** Most requests in flight at once; not written (or 0): ilb learns the limit, up to the component's capacity. */
    public void setCapacity(int capacity) {
        this.capacity = capacity;
    }

    public void setHealthPath(String healthPath) {
        this.healthPath = healthPath;
    }

    public void setMetricsPath(String metricsPath) {
        this.metricsPath = metricsPath;
    }

    public void setZone(String zone) {
        this.zone = zone;
    }

    public void setHardware(String hardware) {
        this.hardware = hardware;
    }

    public void setTimeout(String timeout) {
        this.timeout = timeout;
    }

    /** The longest a response that is not a stream may take in all; {@code timeout} bounds silence. */
    public void setDeadline(String deadline) {
        this.deadline = deadline;
    }

    public void setConnectTimeout(String connectTimeout) {
        this.connectTimeout = connectTimeout;
    }

    public void setHealthInterval(String healthInterval) {
        this.healthInterval = healthInterval;
    }

    public void setMetricsInterval(String metricsInterval) {
        this.metricsInterval = metricsInterval;
    }

    public void setApiKey(String apiKey) {
        this.apiKey = apiKey;
    }

    /** {@code http} or {@code grpc}; without it, a {@code grpc://} url speaks gRPC and any other HTTP. */
    public void setProtocol(String protocol) {
        this.protocol = protocol;
    }
}
