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
import org.apache.camel.support.DefaultComponent;

/**
 * The {@code backend:} component: each endpoint is one model server, written in the route file with its settings
 * ({@code backend:gpu-0?url=http://10.0.0.7:8000&tier=0&weight=2&capacity=16}). The component keeps every
 * backend's live state by name, so a route reload changes settings without forgetting breaker, latency or health.
 * A server that speaks KServe v2 over gRPC is written with a {@code grpc://host:port} url, or {@code protocol=grpc}.
 * <p>
 * Defaults for all backends, and the circuit-breaker policy, are set as {@code camel.component.backend.*}.
 */
public class BackendComponent extends DefaultComponent {

    private final Map<String, Backend> backends = new ConcurrentHashMap<>();
    private final EventLoopGroup eventLoops;
    private BackendClients clients;
    private Consumer<Backend> newBackendListener = backend -> { };
    private Consumer<Backend> goneBackendListener = backend -> { };
    private DnsLookup dns;
    private final LongAdder dnsAnswers = new LongAdder();
    private final LongAdder dnsFailures = new LongAdder();
    private String dnsNameservers = "";

    private int maxResponseBytes = 64 << 20;
    private int capacity = 256;
    private String timeout = "120s";
    private String deadline = "10m";
    private String connectTimeout = "2s";
    private String healthInterval = "2s";
    private String metricsInterval = "200ms";
    private String resolveInterval = "5s";
    private Map<String, Integer> hardwareWeights = Map.of();
    private float breakerFailureRateThreshold = 50;
    private int breakerSlidingWindowSize = 20;
    private int breakerMinimumNumberOfCalls = 10;
    private String breakerOpenDuration = "10s";
    private int breakerHalfOpenCalls = 3;
    private int ejectAfterFailures = 5;
    private String ejectionBase = "10s";
    private String ejectionMax = "5m";
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
        // null in a context stopped without having started (routes check)
        if (clients != null) {
            clients.close();
        }
        super.doStop();
    }

    BackendClients clients() {
        return clients;
    }

    /** Checks ilb's client certificates for backends (mutual TLS) for renewal; unset, they are read once. */
    public void setCertificateReloads(CertificateReloads reloads) {
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
            dns = new DnsLookup(eventLoops.next(), DnsLookup.nameservers(dnsNameservers), Durations.millis(connectTimeout));
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
                    Durations.millis(ejectionBase), Durations.millis(ejectionMax)), capacity);
            mbeans.register(created);
            newBackendListener.accept(created);
            return created;
        });
        backend.update(settings);
        return backend;
    }

    /** The weight of a backend that does not set one: its hardware's, or 1. */
    int weightOf(String hardware) {
        return hardwareWeights.getOrDefault(hardware, 1);
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
                .waitDurationInOpenState(Duration.ofMillis(Durations.millis(breakerOpenDuration)))
                .permittedNumberOfCallsInHalfOpenState(breakerHalfOpenCalls)
                .automaticTransitionFromOpenToHalfOpenEnabled(true)
                .build();
    }

    /**
     * The largest response ilb takes from a backend (not a stream), or response message from a gRPC backend; a
     * larger one is answered 502.
     */
    public void setMaxResponseBytes(int maxResponseBytes) {
        this.maxResponseBytes = maxResponseBytes;
    }

    /**
     * The highest concurrency limit ilb may learn for a backend that has no {@code capacity} written. A backend that
     * writes one has that limit, whatever this says.
     */
    public void setCapacity(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity (the ceiling of learned limits) must be at least 1, not "
                    + capacity);
        }
        this.capacity = capacity;
    }

    /** Default longest a backend may stay silent: before its response, or between streamed chunks. */
    public void setTimeout(String timeout) {
        this.timeout = timeout;
    }

    /**
     * Default longest a response that is not a stream may take, from sending to its last byte: a server that
     * trickles it a byte at a time is never silent, yet too slow. Streams are bound by {@code timeout} alone.
     */
    public void setDeadline(String deadline) {
        this.deadline = deadline;
    }

    public void setConnectTimeout(String connectTimeout) {
        this.connectTimeout = connectTimeout;
    }

    public void setHealthInterval(String healthInterval) {
        this.healthInterval = healthInterval;
    }

    /**
     * Default time between two DNS lookups of a {@code dns://} or {@code srv://} backend url (sooner when its records'
     * time to live runs out).
     */
    public void setResolveInterval(String resolveInterval) {
        this.resolveInterval = resolveInterval;
    }

    /**
     * The nameservers {@code dns://} and {@code srv://} urls are looked up on, as {@code host[:port],...}; empty: the
     * system's ({@code /etc/resolv.conf}). Set from {@code ilb.dns.nameservers}.
     */
    public void setDnsNameservers(String dnsNameservers) {
        this.dnsNameservers = dnsNameservers;
    }

    /** How often each backend's metrics path is scraped; 0 turns scraping off. */
    public void setMetricsInterval(String metricsInterval) {
        this.metricsInterval = metricsInterval;
    }

    /**
     * Default weights by hardware, as {@code h100:8,a100:4,cpu:1}: a backend that sets no weight gets its
     * hardware's, so that a tier of mixed hardware shares requests by capability.
     */
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
        this.hardwareWeights = Map.copyOf(weights);
    }

    /** Percentage of failed calls in the window that opens a breaker. */
    public void setBreakerFailureRateThreshold(float breakerFailureRateThreshold) {
        this.breakerFailureRateThreshold = breakerFailureRateThreshold;
    }

    /** How many recent calls a breaker judges. */
    public void setBreakerSlidingWindowSize(int breakerSlidingWindowSize) {
        this.breakerSlidingWindowSize = breakerSlidingWindowSize;
    }

    /** Calls a breaker needs to see before it may open. */
    public void setBreakerMinimumNumberOfCalls(int breakerMinimumNumberOfCalls) {
        this.breakerMinimumNumberOfCalls = breakerMinimumNumberOfCalls;
    }

    /** How long an open breaker keeps its backend out before letting probes through (half-open). */
    public void setBreakerOpenDuration(String breakerOpenDuration) {
        this.breakerOpenDuration = breakerOpenDuration;
    }

    /** Failures in a row that eject a backend for a while (passive health checking); 0 turns ejection off. */
    public void setEjectAfterFailures(int ejectAfterFailures) {
        this.ejectAfterFailures = ejectAfterFailures;
    }

    /** How long a first ejection lasts; each one in a row lasts twice as long as the one before. */
    public void setEjectionBase(String ejectionBase) {
        this.ejectionBase = ejectionBase;
    }

    /** The longest an ejection lasts. */
    public void setEjectionMax(String ejectionMax) {
        this.ejectionMax = ejectionMax;
    }

    /** Probe calls let through while half-open; all must succeed to close the breaker again. */
    public void setBreakerHalfOpenCalls(int breakerHalfOpenCalls) {
        this.breakerHalfOpenCalls = breakerHalfOpenCalls;
    }
}
