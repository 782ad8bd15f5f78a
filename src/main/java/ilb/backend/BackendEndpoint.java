package ilb.backend;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import ilb.discovery.DnsTarget;
import ilb.inference.Protocol;
import org.apache.camel.Category;
import org.apache.camel.Consumer;
import org.apache.camel.Processor;
import org.apache.camel.Producer;
import org.apache.camel.spi.Metadata;
import org.apache.camel.spi.UriEndpoint;
import org.apache.camel.spi.UriParam;
import org.apache.camel.spi.UriPath;
import org.apache.camel.support.DefaultEndpoint;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One model server as a Camel endpoint, with its settings as URI parameters ({@link BackendSettings}), or every
 * server a DNS name gives (a dns://name:port or srv://_service._proto.name url: {@link DiscoveredBackends}), each
 * with the entry's settings. Sending an {@link ilb.inference.InferenceRequest} to it sends the request to the server
 * (of a group, the one the balancer chose); the reply replaces the body. While the endpoint runs, each server's
 * health path is polled, and its metrics path scraped if it speaks HTTP (the metrics of a server that speaks gRPC
 * are not scraped: they are HTTP). An https:// or grpcs:// url (or tls=true on a DNS url) talks TLS to its servers,
 * with the TLS options written here or in the TLS profile named ({@link TlsOptions}).
 */
// the javadoc above is the component's description in Camel tooling (the generated metadata): plain text
@UriEndpoint(firstVersion = "0.1.0", scheme = "backend", title = "Backend", syntax = "backend:name",
        producerOnly = true, category = {Category.AI, Category.HTTP, Category.RPC}, remote = true)
public class BackendEndpoint extends DefaultEndpoint {

    private static final Logger LOG = LoggerFactory.getLogger(BackendEndpoint.class);

    // descriptions in plain text: the plugin drops what is in <>, [] and a *
    @UriPath(name = "name", description = "Names the backend in headers, logs, metrics and the console; its state"
            + " (breaker, latency, health) is kept by this name across route reloads")
    @Metadata(required = true)
    private final String id;
    @UriParam(description = "The server's base URL, request paths appended: http:// or https://host:port and a"
            + " path if any, grpc:// or grpcs://host:port (KServe v2 over gRPC), or every server a DNS name gives:"
            + " dns://name:port, srv://_service._proto.name")
    @Metadata(required = true)
    private String url;
    @UriParam(defaultValue = "0", description = "Priority: lower tiers are used first, higher tiers take what they"
            + " cannot")
    private int tier;
    @UriParam(defaultValue = "0", description = "Share of requests against the tier's other backends; 0: the"
            + " hardware's weight (camel.component.backend.hardwareWeights), or an SRV record's, else 1")
    private int weight;
    @UriParam(defaultValue = "0", description = "Most requests in flight at once; 0: ilb learns the limit, up to"
            + " camel.component.backend.capacity")
    private int capacity;
    @UriParam(defaultValueNote = "/health; /v2/health/ready (KServe ServerReady) for a gRPC backend",
            description = "Polled to tell whether the server is up; empty turns active checks off. For gRPC: a"
            + " KServe path, grpc.health.v1.Health or grpc.health.v1.Health/SERVICE")
    private String healthPath;
    @UriParam(defaultValue = "/metrics", description = "Where the server publishes Prometheus metrics; empty: none."
            + " Never scraped from a gRPC server", label = "advanced")
    private String metricsPath = "/metrics";
    @UriParam(defaultValue = "", description = "Where it runs (e.g. an availability zone): ilb prefers its own")
    private String zone = "";
    @UriParam(defaultValue = "", description = "What it runs on (e.g. a100, cpu): sets its weight when it writes"
            + " none")
    private String hardware = "";
    @UriParam(defaultValue = BackendComponent.TIMEOUT, description = "The longest the server may stay silent: before"
            + " its response, or between streamed chunks")
    private Duration timeout;
    @UriParam(defaultValue = BackendComponent.DEADLINE, description = "The longest a response that is not a stream"
            + " may take in all, from sending to its last byte; streams are bound by timeout alone")
    private Duration deadline;
    @UriParam(defaultValue = BackendComponent.CONNECT_TIMEOUT, description = "The longest a connection may take to"
            + " open", label = "advanced")
    private Duration connectTimeout;
    @UriParam(defaultValue = BackendComponent.HEALTH_INTERVAL, description = "Time between two health checks",
            label = "advanced")
    private Duration healthInterval;
    @UriParam(defaultValue = BackendComponent.METRICS_INTERVAL, description = "Time between two scrapes of the"
            + " metrics path; 0: none", label = "advanced")
    private Duration metricsInterval;
    @UriParam(description = "Sent to the server as a bearer token", label = "security", secret = true)
    private String apiKey;
    @UriParam(enums = "http,grpc", defaultValueNote = "grpc for a grpc:// or grpcs:// url, else http",
            description = "The wire the server speaks: http (OpenAI and KServe v2 REST) or grpc (KServe v2's"
            + " GRPCInferenceService)")
    private String protocol;
    @UriParam(defaultValue = BackendComponent.RESOLVE_INTERVAL, description = "How often a dns:// or srv:// url is"
            + " looked up again (sooner when its records' time to live runs out)", label = "advanced")
    private Duration resolveInterval;
    @UriParam(defaultValue = "false", description = "Whether the servers of a dns:// or srv:// url talk TLS; one"
            + " server's url says so by its scheme (https://, grpcs://)", label = "security")
    private boolean tls;
    @UriParam(description = "Takes each TLS option this entry does not set from properties"
            + " ilb.backend.tls.PROFILE.OPTION", label = "security")
    private String tlsProfile;
    @UriParam(defaultValueNote = "the JVM's trust store", description = "PEM bundle of the authorities a server's"
            + " certificate must come from", label = "security")
    private String trustFile;
    @UriParam(description = "ilb's client certificate (PEM), for servers that want one; with clientKeyFile",
            label = "security")
    private String clientCertFile;
    @UriParam(description = "The client certificate's private key (PEM, PKCS#8)", label = "security")
    private String clientKeyFile;
    // null until written: the TLS profile's then, else true (TlsOptions)
    @UriParam(defaultValue = "true", defaultValueNote = "the TLS profile's, if it sets one",
            description = "false: a server's certificate need not name it (warned at start)", label = "security")
    private Boolean verifyHostname;
    private MonitoredBackend sole;
    private DiscoveredBackends discovered;
    private final List<Runnable> groupListeners = new CopyOnWriteArrayList<>();

    BackendEndpoint(String uri, BackendComponent component, String id) {
        super(uri, component);
        this.id = id;
    }

    @Override
    public BackendComponent getComponent() {
        return (BackendComponent) super.getComponent();
    }

    /**
     * What can be told wrong without a server: checked as the route is made, so that a reload refuses the file, and
     * {@code ilb routes check} says so, rather than the route failing as it starts.
     */
    @Override
    protected void doInit() throws Exception {
        super.doInit();
        if (url == null) {
            throw new IllegalArgumentException("backend:" + id + " needs a url parameter");
        }
        URI uri = URI.create(url);
        boolean names = DnsTarget.names(uri);
        if (tls && !names) {
            throw new IllegalArgumentException("backend:" + id + ": tls is for dns:// and srv:// urls; one server's"
                    + " url says TLS by its scheme: https:// or grpcs://");
        }
        if (!secure(uri) && (tlsProfile != null || trustFile != null || clientCertFile != null
                || clientKeyFile != null || verifyHostname != null)) {
            throw new IllegalArgumentException("backend:" + id + " sets TLS options, but " + url + " is plain"
                    + " text: write https:// or grpcs:// (tls=true for dns:// and srv://)");
        }
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        URI uri = URI.create(url);
        TlsOptions tlsOptions = secure(uri) ? tlsOptions() : null;
        if (DnsTarget.names(uri)) {
            DnsTarget target = DnsTarget.of(uri);
            Protocol speaks = BackendSettings.protocolOf(id, URI.create("http://" + target.name()), protocol);
            String scheme = (speaks == Protocol.GRPC ? "grpc" : "http") + (tlsOptions != null ? "s" : "");
            BackendTls serverTls = backendTls(tlsOptions, speaks, target.serviceName());
            discovered = new DiscoveredBackends(id, target, getComponent(), server -> settings(id + "@"
                    + server.hostPort(), target.serverUrl(scheme, server), speaks, server.weight(), serverTls),
                    resolveInterval.toMillis(), () -> groupListeners.forEach(Runnable::run));
            discovered.start(connectTimeout.toMillis());
        } else {
            Protocol speaks = BackendSettings.protocolOf(id, uri, protocol);
            sole = MonitoredBackend.start(getComponent(), settings(id, uri, speaks, 0, backendTls(tlsOptions, speaks,
                    uri.getHost())), false);
        }
    }

    /** Whether it talks TLS: a DNS url if {@code tls} says so, one server's by its scheme. */
    private boolean secure(URI uri) {
        return DnsTarget.names(uri) ? tls : BackendSettings.usesTls(uri);
    }

    /** The TLS options of a backend that talks TLS: its own, or its profile's. */
    private TlsOptions tlsOptions() {
        TlsOptions options = TlsOptions.resolve(id, tlsProfile,
                name -> getCamelContext().getPropertiesComponent().resolveProperty(name),
                trustFile, clientCertFile, clientKeyFile, verifyHostname);
        if (!options.verifyHostname()) {
            LOG.warn("backend:{} does not verify hostnames (verifyHostname=false): any certificate of a trusted"
                    + " authority is taken as {}'s", id, url);
        }
        return options;
    }

    private BackendTls backendTls(TlsOptions options, Protocol speaks, String serverName) {
        return options == null ? null : new BackendTls(getComponent().tlsContexts().of(options, speaks), serverName,
                options.hasClientCertificate());
    }

    /** The entry's settings for one server; {@code recordWeight}: its SRV record's weight, if the entry sets none. */
    private BackendSettings settings(String backendId, URI serverUrl, Protocol speaks, int recordWeight,
            BackendTls serverTls) {
        int chosenWeight = weight > 0 ? weight : recordWeight > 0 ? recordWeight : getComponent().weightOf(hardware);
        return new BackendSettings(backendId, serverUrl, speaks, tier, chosenWeight, capacity,
                healthPath != null ? healthPath : BackendSettings.defaultHealthPath(speaks), metricsPath, zone,
                hardware, timeout.toMillis(), deadline.toMillis(), connectTimeout.toMillis(), healthInterval.toMillis(),
                metricsInterval.toMillis(), apiKey, serverTls);
    }

    @Override
    protected void doStop() throws Exception {
        if (sole != null) {
            sole.stop();
        }
        if (discovered != null) {
            discovered.stop();
        }
        super.doStop();
    }

    /** The backends it stands for now; available once the endpoint has started. */
    public BackendGroup group() {
        return discovered != null ? discovered.group() : BackendGroup.of(sole.backend());
    }

    /** Runs whenever the group changes: a server found by DNS joins, leaves or is removed. */
    public void onGroupChange(Runnable listener) {
        groupListeners.add(listener);
    }

    public void removeGroupListener(Runnable listener) {
        groupListeners.remove(listener);
    }

    /** The one backend of an entry that names one server; an entry found by DNS has no single one. */
    Backend soleBackend() {
        if (sole == null) {
            throw new IllegalStateException("backend:" + id + " names servers found by DNS (" + url + "): send to it"
                    + " through a load balancer, which chooses one");
        }
        return sole.backend();
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

    // The options, described by the fields' @UriParam; Camel's generated configurer sets and reads them by these

    public String getUrl() {
        return url;
    }

    public void setUrl(String url) {
        this.url = url;
    }

    /** Its tier: every backend it stands for is of this tier. */
    public int getTier() {
        return tier;
    }

    public void setTier(int tier) {
        this.tier = tier;
    }

    public int getWeight() {
        return weight;
    }

    public void setWeight(int weight) {
        this.weight = weight;
    }

    public int getCapacity() {
        return capacity;
    }

    public void setCapacity(int capacity) {
        this.capacity = capacity;
    }

    public String getHealthPath() {
        return healthPath;
    }

    public void setHealthPath(String healthPath) {
        this.healthPath = healthPath;
    }

    public String getMetricsPath() {
        return metricsPath;
    }

    public void setMetricsPath(String metricsPath) {
        this.metricsPath = metricsPath;
    }

    public String getZone() {
        return zone;
    }

    public void setZone(String zone) {
        this.zone = zone;
    }

    public String getHardware() {
        return hardware;
    }

    public void setHardware(String hardware) {
        this.hardware = hardware;
    }

    public Duration getTimeout() {
        return timeout;
    }

    public void setTimeout(Duration timeout) {
        this.timeout = timeout;
    }

    public Duration getDeadline() {
        return deadline;
    }

    public void setDeadline(Duration deadline) {
        this.deadline = deadline;
    }

    public Duration getConnectTimeout() {
        return connectTimeout;
    }

    public void setConnectTimeout(Duration connectTimeout) {
        this.connectTimeout = connectTimeout;
    }

    public Duration getHealthInterval() {
        return healthInterval;
    }

    public void setHealthInterval(Duration healthInterval) {
        this.healthInterval = healthInterval;
    }

    public Duration getMetricsInterval() {
        return metricsInterval;
    }

    public void setMetricsInterval(Duration metricsInterval) {
        this.metricsInterval = metricsInterval;
    }

    public String getApiKey() {
        return apiKey;
    }

    public void setApiKey(String apiKey) {
        this.apiKey = apiKey;
    }

    public String getProtocol() {
        return protocol;
    }

    public void setProtocol(String protocol) {
        this.protocol = protocol;
    }

    public Duration getResolveInterval() {
        return resolveInterval;
    }

    public void setResolveInterval(Duration resolveInterval) {
        this.resolveInterval = resolveInterval;
    }

    public boolean isTls() {
        return tls;
    }

    public void setTls(boolean tls) {
        this.tls = tls;
    }

    public String getTlsProfile() {
        return tlsProfile;
    }

    public void setTlsProfile(String tlsProfile) {
        this.tlsProfile = tlsProfile;
    }

    public String getTrustFile() {
        return trustFile;
    }

    public void setTrustFile(String trustFile) {
        this.trustFile = trustFile;
    }

    public String getClientCertFile() {
        return clientCertFile;
    }

    public void setClientCertFile(String clientCertFile) {
        this.clientCertFile = clientCertFile;
    }

    public String getClientKeyFile() {
        return clientKeyFile;
    }

    public void setClientKeyFile(String clientKeyFile) {
        this.clientKeyFile = clientKeyFile;
    }

    public Boolean getVerifyHostname() {
        return verifyHostname;
    }

    public void setVerifyHostname(Boolean verifyHostname) {
        this.verifyHostname = verifyHostname;
    }
}
