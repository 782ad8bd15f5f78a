package ilb.backend;

import java.net.URI;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import ilb.discovery.DnsTarget;
import ilb.inference.Protocol;
import org.apache.camel.Consumer;
import org.apache.camel.Processor;
import org.apache.camel.Producer;
import org.apache.camel.support.DefaultEndpoint;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One model server as a Camel endpoint, with its settings as URI parameters (see {@link BackendSettings}), or every
 * server a DNS name gives ({@code dns://name:port}, {@code srv://_service._proto.name}: {@link DiscoveredBackends}),
 * each with the entry's settings. Sending an {@link ilb.inference.InferenceRequest} to it sends the request to the
 * server (of a group, the one the balancer chose); the reply replaces the body. While the endpoint runs, each
 * server's health path is polled, and its metrics path scraped if it speaks HTTP (the metrics of a server that speaks
 * gRPC are not scraped: they are HTTP). An {@code https://} or {@code grpcs://} url (or {@code tls=true} on a DNS
 * url) talks TLS to its servers, with the TLS options written here or in the TLS profile named ({@link TlsOptions}).
 */
public class BackendEndpoint extends DefaultEndpoint {

    private static final Logger LOG = LoggerFactory.getLogger(BackendEndpoint.class);

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
    private String resolveInterval;
    /** Whether the servers a DNS url gives talk TLS; a url naming one server says so by its scheme. */
    private boolean tls;
    private String tlsProfile;
    private String trustFile;
    private String clientCertFile;
    private String clientKeyFile;
    /** null: the profile's, else true */
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

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        if (url == null) {
            throw new IllegalArgumentException("backend:" + id + " needs a url parameter");
        }
        URI uri = URI.create(url);
        boolean names = DnsTarget.names(uri);
        if (tls && !names) {
            throw new IllegalArgumentException("backend:" + id + ": tls is for dns:// and srv:// urls; one server's"
                    + " url says TLS by its scheme: https:// or grpcs://");
        }
        boolean secure = names ? tls : BackendSettings.usesTls(uri);
        TlsOptions tlsOptions = tlsOptions(secure);
        if (names) {
            DnsTarget target = DnsTarget.of(uri);
            Protocol speaks = BackendSettings.protocolOf(id, URI.create("http://" + target.name()), protocol);
            String scheme = (speaks == Protocol.GRPC ? "grpc" : "http") + (secure ? "s" : "");
            BackendTls serverTls = backendTls(tlsOptions, speaks, target.serviceName());
            discovered = new DiscoveredBackends(id, target, getComponent(), server -> settings(id + "@"
                    + server.hostPort(), target.serverUrl(scheme, server), speaks, server.weight(), serverTls),
                    Durations.millis(resolveInterval), () -> groupListeners.forEach(Runnable::run));
            discovered.start(Durations.millis(connectTimeout));
        } else {
            Protocol speaks = BackendSettings.protocolOf(id, uri, protocol);
            sole = MonitoredBackend.start(getComponent(), settings(id, uri, speaks, 0, backendTls(tlsOptions, speaks,
                    uri.getHost())), false);
        }
    }

    /** The TLS options of a backend that talks TLS (null for one that does not: it may set none). */
    private TlsOptions tlsOptions(boolean secure) {
        if (!secure) {
            if (tlsProfile != null || trustFile != null || clientCertFile != null || clientKeyFile != null
                    || verifyHostname != null) {
                throw new IllegalArgumentException("backend:" + id + " sets TLS options, but " + url + " is plain"
                        + " text: write https:// or grpcs:// (tls=true for dns:// and srv://)");
            }
            return null;
        }
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
                hardware, Durations.millis(timeout), Durations.millis(deadline), Durations.millis(connectTimeout),
                Durations.millis(healthInterval), Durations.millis(metricsInterval), apiKey, serverTls);
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

    public void setUrl(String url) {
        this.url = url;
    }

    /** Its tier: every backend it stands for is of this tier. */
    public int tier() {
        return tier;
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

    /**
     * How often a {@code dns://} or {@code srv://} url is looked up again (sooner when its records' time to live
     * runs out).
     */
    public void setResolveInterval(String resolveInterval) {
        this.resolveInterval = resolveInterval;
    }

    /**
     * Whether the servers of a {@code dns://} or {@code srv://} url talk TLS; their certificates must name the name
     * looked up (for SRV, the domain after {@code _service._proto.}).
     */
    public void setTls(boolean tls) {
        this.tls = tls;
    }

    /** Takes each TLS option this entry does not set from properties {@code ilb.backend.tls.<profile>.<option>}. */
    public void setTlsProfile(String tlsProfile) {
        this.tlsProfile = tlsProfile;
    }

    /** PEM bundle of the authorities a server's certificate must come from; default: the JVM's trust store. */
    public void setTrustFile(String trustFile) {
        this.trustFile = trustFile;
    }

    /** ilb's client certificate (PEM), for servers that want one; with {@link #setClientKeyFile}. */
    public void setClientCertFile(String clientCertFile) {
        this.clientCertFile = clientCertFile;
    }

    /** The client certificate's private key (PEM, PKCS#8). */
    public void setClientKeyFile(String clientKeyFile) {
        this.clientKeyFile = clientKeyFile;
    }

    /** false: a server's certificate need not name it (warned at start); on by default. */
    public void setVerifyHostname(Boolean verifyHostname) {
        this.verifyHostname = verifyHostname;
    }

    /** {@code http} or {@code grpc}; without it, a {@code grpc[s]://} url speaks gRPC and any other HTTP. */
    public void setProtocol(String protocol) {
        this.protocol = protocol;
    }
}
