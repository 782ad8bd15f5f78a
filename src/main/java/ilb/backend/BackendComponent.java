package ilb.backend;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import ilb.discovery.DnsLookup;
import io.netty.channel.EventLoopGroup;
import ilb.tls.CertificateReloads;
import org.apache.camel.Endpoint;
import org.apache.camel.spi.Metadata;
import org.apache.camel.spi.annotations.Component;
import org.apache.camel.support.DefaultComponent;

/**
 * The {@code backend:} component: each endpoint is one model server, written in the route file with its settings
 * ({@code backend:gpu-0?url=http://10.0.0.7:8000&tier=0&weight=2&capacity=16}). The component keeps every
 * backend's live state by name, so a route reload changes settings without forgetting breaker, latency or health.
 * A server that speaks KServe v2 over gRPC is written with a {@code grpc://host:port} url, or {@code protocol=grpc}.
 * <p>
 * Defaults for all backends, and the circuit-breaker policy, are set as {@code camel.component.backend.*}.
 */
@Component("backend")
public class BackendComponent extends DefaultComponent {

    // The defaults of the endpoint options that every backend takes from here unless it writes its own: written once,
    // for the component's fields and the endpoint's metadata (@UriParam defaultValue) alike
    static final String TIMEOUT = "120s";
    static final String DEADLINE = "10m";
    static final String CONNECT_TIMEOUT = "2s";
    static final String HEALTH_INTERVAL = "2s";
    static final String METRICS_INTERVAL = "200ms";
    static final String RESOLVE_INTERVAL = "5s";

    private final Map<String, Backend> backends = new ConcurrentHashMap<>();
    private final EventLoopGroup eventLoops;
    private BackendClients clients;
    private Consumer<Backend> newBackendListener = backend -> { };
    private Consumer<Backend> goneBackendListener = backend -> { };
    private DnsLookup dns;
    private final LongAdder dnsAnswers = new LongAdder();
    private final LongAdder dnsFailures = new LongAdder();

    @Metadata(defaultValue = "67108864", description = "The largest response ilb takes from a backend (not a"
            + " stream), or response message from a gRPC backend, in bytes; a larger one is answered 502")
    private int maxResponseBytes = 64 << 20;
    @Metadata(defaultValue = "256", description = "The highest concurrency limit ilb may learn for a backend that"
            + " writes no capacity; one that writes it has that limit")
    private int capacity = 256;
    @Metadata(defaultValue = TIMEOUT, description = "Default longest a backend may stay silent: before its response,"
            + " or between streamed chunks")
    private Duration timeout = Durations.of(TIMEOUT);
    @Metadata(defaultValue = DEADLINE, description = "Default longest a response that is not a stream may take, from"
            + " sending to its last byte: a server that trickles it is never silent, yet too slow")
    private Duration deadline = Durations.of(DEADLINE);
    @Metadata(defaultValue = CONNECT_TIMEOUT, description = "Default longest a connection may take to open; also"
            + " bounds a DNS lookup")
    private Duration connectTimeout = Durations.of(CONNECT_TIMEOUT);
    @Metadata(defaultValue = HEALTH_INTERVAL, description = "Default time between two health checks")
    private Duration healthInterval = Durations.of(HEALTH_INTERVAL);
    @Metadata(defaultValue = METRICS_INTERVAL, description = "Default time between two scrapes of a backend's"
            + " metrics path; 0 turns scraping off")
    private Duration metricsInterval = Durations.of(METRICS_INTERVAL);
    @Metadata(defaultValue = RESOLVE_INTERVAL, description = "Default time between two DNS lookups of a dns:// or"
            + " srv:// url (sooner when its records' time to live runs out)")
    private Duration resolveInterval = Durations.of(RESOLVE_INTERVAL);
    @Metadata(description = "Default weights by hardware, as h100:8,a100:4,cpu:1: a backend that writes no weight"
            + " gets its hardware's, so that a tier of mixed hardware shares requests by capability")
    private String hardwareWeights = "";
    private Map<String, Integer> weightsByHardware = Map.of();
    @Metadata(description = "The nameservers dns:// and srv:// urls are looked up on, as host or host:port,"
            + " comma-separated; empty: the system's (/etc/resolv.conf). Set from ilb.dns.nameservers")
    private String dnsNameservers = "";
    @Metadata(defaultValue = "50", description = "Percentage of failed calls in the window that opens a breaker")
    private float breakerFailureRateThreshold = 50;
    @Metadata(defaultValue = "20", description = "How many recent calls a breaker judges")
    private int breakerSlidingWindowSize = 20;
    @Metadata(defaultValue = "10", description = "Calls a breaker needs to see before it may open")
    private int breakerMinimumNumberOfCalls = 10;
    @Metadata(defaultValue = "10s", description = "How long an open breaker keeps its backend out before letting"
            + " probes through (half-open)")
    private Duration breakerOpenDuration = Durations.of("10s");
    @Metadata(defaultValue = "3", description = "Probe calls let through while half-open; all must succeed to close"
            + " the breaker again")
    private int breakerHalfOpenCalls = 3;
    @Metadata(defaultValue = "5", description = "Failures in a row that eject a backend for a while (passive health"
            + " checking); 0 turns ejection off")
    private int ejectAfterFailures = 5;
    @Metadata(defaultValue = "10s", description = "How long a first ejection lasts; each one in a row lasts twice"
            + " as long as the one before")
    private Duration ejectionBase = Durations.of("10s");
    @Metadata(defaultValue = "5m", description = "The longest an ejection lasts")
    private Duration ejectionMax = Durations.of("5m");
    private final BackendMBeans mbeans = new BackendMBeans();
    private final BackendTlsContexts tlsContexts = new BackendTlsContexts();

    /** @param eventLoops where backend connections run: best the same as the inbound HTTP server's */
    public BackendComponent(EventLoopGroup eventLoops) {
        this.eventLoops = eventLoops;
    }

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) throws Exception {
        BackendEndpoint endpoint = new BackendEndpoint(uri, this, remaining);
        endpoint.setTimeout(timeout);
        endpoint.setDeadline(deadline);
        endpoint.setConnectTimeout(connectTimeout);
        endpoint.setHealthInterval(healthInterval);
        endpoint.setMetricsInterval(metricsInterval);
        endpoint.setResolveInterval(resolveInterval);
        setProperties(endpoint, parameters);
        return endpoint;
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        clients = new BackendClients(eventLoops, maxResponseBytes);
    }

    @Override
    protected void doStop() throws Exception {
        mbeans.unregisterAll();
        if (dns != null) {
            dns.close();
        }
        // Camel stops a component that was only initialized too (a context closed before it started: routes check)
        if (clients != null) {
            clients.close();
        }
        super.doStop();
    }

    BackendClients clients() {
        return clients;
    }

    /** Checks ilb's client certificates for backends (mutual TLS) for renewal; unset, they are read once. */
    public void reloadCertificatesWith(CertificateReloads reloads) {
        tlsContexts.reloadWith(reloads);
    }

    BackendTlsContexts tlsContexts() {
        return tlsContexts;
    }

    /** Called with each backend as it is first known, e.g. to make meters of its state. */
    public void onNewBackend(Consumer<Backend> listener) {
        this.newBackendListener = listener;
    }

    /** Called with each backend as it is removed (its server left the DNS answer it came from), e.g. to drop its meters. */
    public void onBackendGone(Consumer<Backend> listener) {
        this.goneBackendListener = listener;
    }

    /** Whether a backend of that name is known: a new one is health-checked before it joins a group found by DNS. */
    boolean knows(String id) {
        return backends.containsKey(id);
    }

    /** Forgets a backend whose server left for good: its state, its MBean and its meters. */
    void forget(Backend backend) {
        if (backends.remove(backend.id(), backend)) {
            mbeans.unregister(backend);
            goneBackendListener.accept(backend);
        }
    }

    /** Where {@code dns://} and {@code srv://} names are looked up; made when the first one is. */
    synchronized DnsLookup dns() {
        if (dns == null) {
            dns = new DnsLookup(eventLoops.next(), DnsLookup.nameservers(dnsNameservers), connectTimeout.toMillis());
        }
        return dns;
    }

    /** Counts a DNS lookup of a {@code dns://} or {@code srv://} url: answered, or failed. */
    void lookedUp(boolean answered) {
        (answered ? dnsAnswers : dnsFailures).increment();
    }

    /** DNS lookups of backend urls since start that were answered ({@code failed} false) or failed. */
    public long dnsLookups(boolean failed) {
        return (failed ? dnsFailures : dnsAnswers).sum();
    }

    /** The live state of the named backend, created on first use; its settings are replaced by these. */
    Backend backend(BackendSettings settings) {
        Backend backend = backends.computeIfAbsent(settings.id(), id -> {
            Backend created = new Backend(settings, breakerConfig(), new OutlierEjection(ejectAfterFailures,
                    ejectionBase.toMillis(), ejectionMax.toMillis()), capacity);
            mbeans.register(created);
            newBackendListener.accept(created);
            return created;
        });
        backend.update(settings);
        return backend;
    }

    /** The weight of a backend that does not set one: its hardware's, or 1. */
    int weightOf(String hardware) {
        return weightsByHardware.getOrDefault(hardware, 1);
    }

    /** Every backend known since start, in no particular order. */
    public Collection<Backend> backends() {
        return backends.values();
    }

    private CircuitBreakerConfig breakerConfig() {
        return CircuitBreakerConfig.custom()
                .failureRateThreshold(breakerFailureRateThreshold)
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(breakerSlidingWindowSize)
                .minimumNumberOfCalls(breakerMinimumNumberOfCalls)
                .waitDurationInOpenState(breakerOpenDuration)
                .permittedNumberOfCallsInHalfOpenState(breakerHalfOpenCalls)
                .automaticTransitionFromOpenToHalfOpenEnabled(true)
                .build();
    }

    // The options (camel.component.backend.*), described by the fields' @Metadata; Camel's generated configurer
    // sets and reads them by these

    public int getMaxResponseBytes() {
        return maxResponseBytes;
    }

    public void setMaxResponseBytes(int maxResponseBytes) {
        this.maxResponseBytes = maxResponseBytes;
    }

    public int getCapacity() {
        return capacity;
    }

    public void setCapacity(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity (the ceiling of learned limits) must be at least 1, not "
                    + capacity);
        }
        this.capacity = capacity;
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

    public Duration getResolveInterval() {
        return resolveInterval;
    }

    public void setResolveInterval(Duration resolveInterval) {
        this.resolveInterval = resolveInterval;
    }

    public String getHardwareWeights() {
        return hardwareWeights;
    }

    public void setHardwareWeights(String hardwareWeights) {
        Map<String, Integer> weights = new HashMap<>();
        for (String entry : hardwareWeights.split(",")) {
            if (entry.isBlank()) {
                continue;
            }
            String[] pair = entry.split(":");
            if (pair.length != 2) {
                throw new IllegalArgumentException("hardwareWeights: expected name:weight, got " + entry);
            }
            weights.put(pair[0].trim(), Integer.parseInt(pair[1].trim()));
        }
        this.hardwareWeights = hardwareWeights;
        this.weightsByHardware = Map.copyOf(weights);
    }

    public String getDnsNameservers() {
        return dnsNameservers;
    }

    public void setDnsNameservers(String dnsNameservers) {
        this.dnsNameservers = dnsNameservers;
    }

    public float getBreakerFailureRateThreshold() {
        return breakerFailureRateThreshold;
    }

    public void setBreakerFailureRateThreshold(float breakerFailureRateThreshold) {
        this.breakerFailureRateThreshold = breakerFailureRateThreshold;
    }

    public int getBreakerSlidingWindowSize() {
        return breakerSlidingWindowSize;
    }

    public void setBreakerSlidingWindowSize(int breakerSlidingWindowSize) {
        this.breakerSlidingWindowSize = breakerSlidingWindowSize;
    }

    public int getBreakerMinimumNumberOfCalls() {
        return breakerMinimumNumberOfCalls;
    }

    public void setBreakerMinimumNumberOfCalls(int breakerMinimumNumberOfCalls) {
        this.breakerMinimumNumberOfCalls = breakerMinimumNumberOfCalls;
    }

    public Duration getBreakerOpenDuration() {
        return breakerOpenDuration;
    }

    public void setBreakerOpenDuration(Duration breakerOpenDuration) {
        this.breakerOpenDuration = breakerOpenDuration;
    }

    public int getBreakerHalfOpenCalls() {
        return breakerHalfOpenCalls;
    }

    public void setBreakerHalfOpenCalls(int breakerHalfOpenCalls) {
        this.breakerHalfOpenCalls = breakerHalfOpenCalls;
    }

    public int getEjectAfterFailures() {
        return ejectAfterFailures;
    }

    public void setEjectAfterFailures(int ejectAfterFailures) {
        this.ejectAfterFailures = ejectAfterFailures;
    }

    public Duration getEjectionBase() {
        return ejectionBase;
    }

    public void setEjectionBase(Duration ejectionBase) {
        this.ejectionBase = ejectionBase;
    }

    public Duration getEjectionMax() {
        return ejectionMax;
    }

    public void setEjectionMax(Duration ejectionMax) {
        this.ejectionMax = ejectionMax;
    }
}
