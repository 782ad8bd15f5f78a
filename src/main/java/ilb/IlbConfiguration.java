package ilb;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

import ilb.admission.ApiKeys;
import ilb.admission.LimitStore;
import ilb.admission.LocalLimits;
import ilb.admission.RedisConnection;
import ilb.admission.RedisLimits;
import ilb.admission.TenantLimits;
import ilb.backend.BackendComponent;
import ilb.backend.Durations;
import ilb.batch.BatchAdmission;
import ilb.batch.BatchBroker;
import ilb.batch.BatchIntake;
import ilb.batch.BatchIntakeMBean;
import ilb.batch.BatchOutcome;
import ilb.batch.ConsumerLag;
import ilb.batch.RequestTopics;
import ilb.balancer.BalancerSettings;
import ilb.balancer.PoolListener;
import ilb.balancer.QueueTimeouts;
import ilb.console.ConsoleSettings;
import ilb.console.HawtioConsole;
import ilb.console.ManagementJolokia;
import ilb.protocols.HttpApi;
import ilb.protocols.InferenceHttpBinding;
import ilb.protocols.HttpEdge;
import ilb.protocols.grpc.GrpcApi;
import ilb.protocols.grpc.KServeGrpcComponent;
import ilb.protocols.grpc.ServingModels;
import ilb.routing.ConfigMapReload;
import ilb.routing.ModelCatalog;
import ilb.routing.ModelComponent;
import ilb.routing.ModelEndpoint;
import ilb.routing.PoolMBeans;
import ilb.simulator.DemoFleet;
import ilb.telemetry.AccessLog;
import ilb.telemetry.BackendHealth;
import ilb.telemetry.IlbMeters;
import ilb.telemetry.ModelReadiness;
import ilb.telemetry.QueueMeters;
import ilb.telemetry.RefusalMeters;
import ilb.telemetry.RequestMeters;
import ilb.telemetry.RequestRecords;
import ilb.telemetry.Tracing;
import ilb.telemetry.RunningPools;
import ilb.tls.CertificateReloads;
import ilb.tls.ServerTls;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.util.HashedWheelTimer;
import io.netty.util.concurrent.DefaultThreadFactory;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.PropertyInject;
import org.apache.camel.component.micrometer.MicrometerConstants;
import org.apache.camel.component.micrometer.MicrometerUtils;
import org.apache.camel.builder.ThreadPoolProfileBuilder;
import org.apache.camel.model.errorhandler.NoErrorHandlerDefinition;
import org.apache.camel.spi.Registry;
import org.apache.camel.support.DefaultRegistry;
import org.apache.camel.support.service.ServiceSupport;
import org.apache.camel.util.concurrent.ThreadPoolRejectedPolicy;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * Wires ilb into Camel: the {@code model:} and {@code kserve-grpc:} components, the beans the route files name
 * ({@code httpApi}, {@code grpcApi}, the HTTP binding, a balancer per pool: {@link PoolBalancers}) and, unless turned
 * off, the demo fleet.
 */
public class IlbConfiguration implements CamelConfiguration {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(IlbConfiguration.class);

    @PropertyInject(value = "ilb.eventLoopThreads")
    private int eventLoopThreads;
    @PropertyInject(value = "ilb.demo.fleet")
    private boolean demoFleet;
    @PropertyInject(value = "ilb.http.sessionHeader")
    private String sessionHeader;
    @PropertyInject(value = "ilb.http.maxRequestBytes")
    private int maxRequestBytes;
    @PropertyInject(value = "ilb.http.maxBufferedBytes")
    private long maxBufferedBytes;
    @PropertyInject(value = "ilb.http.requestReadTimeout")
    private String requestReadTimeout;
    @PropertyInject(value = "ilb.http.idleTimeout")
    private String idleTimeout;
    @PropertyInject(value = "ilb.http.maxConnections")
    private int maxConnections;
    @PropertyInject(value = "ilb.tls.reloadInterval", defaultValue = "30s")
    private String tlsReloadInterval;
    @PropertyInject(value = "camel.main.routesReloadEnabled", defaultValue = "false")
    private boolean routesReloadEnabled;
    @PropertyInject(value = "camel.main.routesReloadDirectory", defaultValue = "src/main/resources/camel")
    private String routesReloadDirectory;
    @PropertyInject(value = "camel.main.routesReloadPattern", defaultValue = "*.yaml,*.xml")
    private String routesReloadPattern;
    @PropertyInject(value = "ilb.routes.reloadGraceMillis")
    private long reloadGraceMillis;
    @PropertyInject(value = "ilb.balancer.maxAttempts")
    private int maxAttempts;
    @PropertyInject(value = "ilb.balancer.retryPercent")
    private double retryPercent;
    @PropertyInject(value = "ilb.balancer.retryMinPerSecond")
    private double retryMinPerSecond;
    @PropertyInject(value = "ilb.balancer.retryMaxSaved")
    private double retryMaxSaved;
    @PropertyInject(value = "ilb.balancer.queueSize")
    private int queueSize;
    @PropertyInject(value = "ilb.balancer.queueTimeout.critical", defaultValue = "30s")
    private String criticalQueueTimeout;
    @PropertyInject(value = "ilb.balancer.queueTimeout.standard", defaultValue = "10s")
    private String standardQueueTimeout;
    @PropertyInject(value = "ilb.balancer.queueTimeout.sheddable", defaultValue = "2s")
    private String sheddableQueueTimeout;
    @PropertyInject(value = "ilb.zone")
    private String zone;
    @PropertyInject(value = "ilb.dns.nameservers", defaultValue = "")
    private String dnsNameservers;
    @PropertyInject(value = "ilb.balancer.batchReserve")
    private double batchReserve;
    @PropertyInject(value = "ilb.batch.enabled")
    private boolean batchEnabled;
    @PropertyInject(value = "ilb.health.readyWhen")
    private String readyWhen;
    @PropertyInject(value = "ilb.batch.groupId")
    private String batchGroupId;
    @PropertyInject(value = "ilb.batch.dlqTopic")
    private String dlqTopic;
    @PropertyInject(value = "ilb.batch.maxAttempts")
    private int batchMaxAttempts;
    @PropertyInject(value = "ilb.batch.maxInFlight")
    private int batchMaxInFlight;
    @PropertyInject(value = "ilb.batch.retryBackoffMillis")
    private long batchRetryBackoffMillis;
    @PropertyInject(value = "ilb.batch.deferMillis")
    private long batchDeferMillis;
    @PropertyInject(value = "ilb.batch.maxRunMillis")
    private long batchMaxRunMillis;
    @PropertyInject(value = "ilb.batch.jobTimeoutMillis")
    private long batchJobTimeoutMillis;
    @PropertyInject(value = "ilb.batch.maxPollIntervalMs")
    private long batchMaxPollIntervalMs;
    @PropertyInject(value = "ilb.batch.deliveryTimeoutMs")
    private long batchDeliveryTimeoutMs;
    @PropertyInject(value = "ilb.console.enabled")
    private boolean consoleEnabled;
    @PropertyInject(value = "ilb.accessLog", defaultValue = "false")
    private boolean accessLog;

    @Override
    public void configure(CamelContext context) throws Exception {
        routeJavaUtilLogging();
        // queue deadlines, parked requests, shadow copies: a timer per waiting request, so its queue must be
        // unbounded (Camel's default pool holds 1000 tasks and refuses the next, losing its request)
        ScheduledExecutorService timer = context.getExecutorServiceManager().newScheduledThreadPool(this, "ilb-timer",
                new ThreadPoolProfileBuilder("ilb-timer").poolSize(1).maxPoolSize(1).maxQueueSize(-1).build());
        // shadow copies: sent from a thread of their own, at most 1000 waiting (more are dropped, never run on the
        // primary's thread)
        ExecutorService copying = context.getExecutorServiceManager().newThreadPool(this, "ilb-shadow",
                new ThreadPoolProfileBuilder("ilb-shadow").poolSize(1).maxPoolSize(1).maxQueueSize(1000)
                        .rejectedPolicy(ThreadPoolRejectedPolicy.Abort).build());
        ModelCatalog catalog = new ModelCatalog(timer, copying, reloadGraceMillis);
        context.getRegistry().bind("modelCatalog", catalog);
        context.addComponent("model", new ModelComponent(catalog));
        // a routes directory that is a Kubernetes ConfigMap changes by a symlink swap Camel's reload does not see
        if (routesReloadEnabled) {
            context.addService(new ConfigMapReload(Path.of(routesReloadDirectory), routesReloadPattern));
        }

        // one set of I/O threads for the inference API and the backend connections: a request is served on one
        // thread from client to backend and back (routes/api.yaml: workerGroup)
        EventLoopGroup eventLoops = new NioEventLoopGroup(eventLoopThreads > 0 ? eventLoopThreads
                : Runtime.getRuntime().availableProcessors());
        context.addService(new StoppedWithCamel(() -> eventLoops.shutdownGracefully(0, 2, TimeUnit.SECONDS)));
        // hedge delays: one for nearly every request, nearly all called off before they are due; a wheel sets and
        // cancels them in constant time and wakes its thread once a tick, not once a request as the ilb-timer would
        HashedWheelTimer hedgeTimer = new HashedWheelTimer(new DefaultThreadFactory("ilb-hedge-timer", true), 10,
                TimeUnit.MILLISECONDS);
        context.addService(new StoppedWithCamel(hedgeTimer::stop));
        // ilb's meters and Camel's in one registry, served by the management server (/observe/metrics): Camel's
        // metrics service has made it already when camel.metrics.enabled is set
        MeterRegistry meters = MicrometerUtils.getMeterRegistryFromCamelRegistry(context.getRegistry(),
                MicrometerConstants.METRICS_REGISTRY_NAME);
        if (meters == null) {
            meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            context.getRegistry().bind(MicrometerConstants.METRICS_REGISTRY_NAME, meters);
        }
        // two of Micrometer's processor meters break Prometheus' naming rules (promtool check metrics): their
        // information is in process_cpu_usage and system_cpu_usage. Registered already, so removed, not filtered
        for (String name : List.of("process.cpu.time", "system.cpu.count")) {
            meters.find(name).meters().forEach(meters::remove);
        }
        MeterRegistry ilbMeters = meters;
        // requests refused before a pool, in the same ilb_requests_total as those a pool answered
        RefusalMeters refusals = new RefusalMeters(ilbMeters, catalog::knows);
        catalog.countRefusals(refusals);
        // renewed certificates are taken in place: the API's, the console's and ilb's client certificates (ilb.tls.*)
        CertificateReloads certificateReloads = new CertificateReloads(context.getExecutorServiceManager()
                .newSingleThreadScheduledExecutor(this, "ilb-tls-reload"), Durations.millis(tlsReloadInterval));
        context.addService(certificateReloads);
        BackendComponent backends = new BackendComponent(eventLoops);
        backends.reloadCertificatesWith(certificateReloads);
        backends.onNewBackend(backend -> IlbMeters.backend(ilbMeters, backend));
        backends.onBackendGone(backend -> IlbMeters.backendGone(ilbMeters, backend));
        IlbMeters.dnsLookups(ilbMeters, backends);
        backends.setDnsNameservers(dnsNameservers);
        context.addComponent("backend", backends);

        Registry registry = context.getRegistry();
        registry.bind("ilbEventLoops", eventLoops);
        ApiKeys apiKeys = ApiKeys.fromProperties(context.getPropertiesComponent());
        // the batch consumer (routes/batch.yaml) reads the shared requests topics and every tenant's own
        RequestTopics requestTopics = RequestTopics.fromProperties(context.getPropertiesComponent(), apiKeys);
        context.getPropertiesComponent().addOverrideProperty(RequestTopics.PROPERTY, String.join(",",
                requestTopics.all()));
        // a tenant without a key can still send batch jobs on a topic of its own, if there are batch jobs
        boolean reachableByTopic = requestTopics.anyOwned() && batchEnabled
                && BatchBroker.hasKafka(context.getPropertiesComponent());
        if (apiKeys.enabled() && apiKeys.isEmpty() && !reachableByTopic) {
            throw new IllegalStateException("No tenant has an API key (nor, with batch jobs on, a requests topic of its"
                    + " own) and authentication is on: nobody could use ilb. Set ilb.tenants and"
                    + " ilb.tenant.<name>.apiKeys, or ilb.tenant.<name>.requestsTopic for batch jobs only (or run the"
                    + " demo: camel.main.profile=dev)");
        }
        if ("dev".equals(context.getCamelContextExtension().getProfile())) {
            LOG.info("Profile dev, a demo: its tenant, simulated fleet, embedded Kafka broker and first console admin"
                    + " (application-dev.properties). -Dcamel.main.profile=prod has none of them");
            // Camel's dev profile records every exchange's route history, which the properties cannot turn off in
            // Camel 4.17: ilb measures its requests itself, and the demo should be as fast as production
            context.setMessageHistory(false);
        }
        // where tenants' request, token and concurrency limits are counted: on this replica, or for all replicas on
        // Redis (ilb.limits.redis), each replica counting its share here while Redis is out of reach. By the system's
        // clock unless a LongSupplier of milliseconds is bound as ilbClock (tests: minutes that pass when they say)
        LongSupplier clock = registry.lookupByNameAndType("ilbClock", LongSupplier.class);
        LocalLimits localLimits = new LocalLimits(clock != null ? clock : System::currentTimeMillis);
        LimitStore limits = localLimits;
        String redis = context.getPropertiesComponent().resolveProperty("ilb.limits.redis").orElse("");
        if (!redis.isBlank()) {
            RedisLimits redisLimits = new RedisLimits(RedisConnection.Address.parse(redis), eventLoops.next(),
                    Durations.millis(context.getPropertiesComponent().resolveProperty("ilb.limits.redisTimeout")
                            .orElse("200ms")), RedisLimits.BEAT_MILLIS, localLimits, clock);
            context.addService(redisLimits);
            IlbMeters.redisLimits(ilbMeters, redisLimits);
            limits = redisLimits;
        }
        // a record per request for the access log (ilb.accessLog) and tracing (OTEL_EXPORTER_OTLP_ENDPOINT); with
        // both off, none is made
        Tracing tracing = Tracing.fromEnvironment();
        if (tracing != null) {
            // stopped with Camel, after the routes: the last spans are flushed
            context.addService(tracing);
        }
        RequestRecords records = new RequestRecords(accessLog ? new AccessLog() : null, tracing);
        registry.bind("ilbRequestRecords", records);
        HttpApi httpApi = new HttpApi(catalog, sessionHeader, refusals);
        registry.bind("apiKeys", apiKeys);
        registry.bind("httpApi", httpApi);
        // an HTTP request over its tenant's limits is answered 429; a batch job's 429 goes on to batchOutcome (defer)
        registry.bind("tenantLimits", new TenantLimits(limits, true, refusals));
        registry.bind("batchTenantLimits", new TenantLimits(limits, false, refusals));
        registry.bind("inferenceHttpBinding", new InferenceHttpBinding());
        // what the API refuses from a request's head, and how long and how much it waits for the rest
        HttpEdge edge = new HttpEdge(new HttpEdge.Limits(maxRequestBytes, maxBufferedBytes,
                Durations.millis(requestReadTimeout), Durations.millis(idleTimeout), maxConnections), apiKeys, httpApi,
                records, refusals);
        registry.bind("httpEdge", edge);
        // TLS of the API, the gRPC entry, the console and the management port (ilb.tls.*, ilb.console.tls.*,
        // ilb.management.tls.*): the API's handshake is held to the time a request may take to arrive
        ServerTls tls = ServerTls.configure(context, certificateReloads,
                Durations.millis(requestReadTimeout));
        registry.bind("tlsTermination", tls.termination());
        IlbMeters.edge(ilbMeters, edge);
        // /observe/jolokia on the management port: Camel's Jolokia, refusing proxy requests and web pages
        registry.bind("jolokia", new ManagementJolokia());

        if (context.getPropertiesComponent().resolveProperty("ilb.balancer.queueTimeoutMillis").isPresent()) {
            throw new IllegalArgumentException("ilb.balancer.queueTimeoutMillis is gone: set "
                    + "ilb.balancer.queueTimeout.critical, .standard and .sheddable (durations, e.g. 10s) instead");
        }
        // customLoadBalancer: {ref: "scored?prefix=3"} gives each pool a balancer of its own with that policy
        QueueTimeouts queueTimeouts = new QueueTimeouts(Durations.millis(criticalQueueTimeout),
                Durations.millis(standardQueueTimeout), Durations.millis(sheddableQueueTimeout));
        BalancerSettings settings = new BalancerSettings(maxAttempts, retryPercent, retryMinPerSecond, retryMaxSaved,
                queueSize, queueTimeouts, zone, batchReserve);
        // readiness (/observe/health/ready): every model has a backend in rotation; the backends' own health beside it
        if (!readyWhen.equals("every-model") && !readyWhen.equals("any-model")) {
            throw new IllegalArgumentException("ilb.health.readyWhen must be every-model or any-model, not " + readyWhen);
        }
        RunningPools running = new RunningPools();
        // the gRPC entry (routes/api-grpc.yaml): its health service says which models have a backend in rotation
        ServingModels serving = new ServingModels(running);
        KServeGrpcComponent grpc = new KServeGrpcComponent(apiKeys, eventLoops, timer, catalog, serving, records,
                refusals);
        grpc.setSslContext(tls.grpc());
        context.addComponent("kserve-grpc", grpc);
        registry.bind("grpcApi", new GrpcApi(catalog, sessionHeader, refusals));
        registry.bind("ilbModelReadiness", new ModelReadiness(running, readyWhen.equals("every-model")));
        registry.bind("ilbBackendHealth", new BackendHealth(running));
        ((DefaultRegistry) registry).addBeanRepository(new PoolBalancers(settings, timer, hedgeTimer,
                PoolListener.all(IlbMeters.pools(ilbMeters, pool -> ModelEndpoint.stageOfRoute(context, pool)),
                        running, new PoolMBeans(context)),
                new RequestMeters(ilbMeters, catalog::servingRoute), new QueueMeters(ilbMeters)));

        // ilb answers every failure itself, in the client's API (InferenceHttpBinding); no Camel redelivery or logging
        context.getCamelContextExtension().setErrorHandlerFactory(new NoErrorHandlerDefinition());

        // batch jobs from Kafka (routes/batch.yaml) through the same admission and pools
        BatchIntake intake = new BatchIntake(context, "direct:batch-job", new BatchIntake.Settings(
                batchMaxInFlight, batchMaxAttempts, batchRetryBackoffMillis, batchDeferMillis, batchMaxRunMillis,
                batchJobTimeoutMillis, batchMaxPollIntervalMs, batchDeliveryTimeoutMs), records);
        IlbMeters.batch(ilbMeters, intake);
        registry.bind("batchIntake", intake);
        registry.bind("batchAdmission", new BatchAdmission(apiKeys, requestTopics, httpApi, refusals));
        registry.bind("batchOutcome", new BatchOutcome(dlqTopic, batchMaxAttempts));
        if (batchEnabled) {
            String brokers = BatchBroker.connect(context, apiKeys, requestTopics);
            if (brokers != null) {
                // the jobs waiting on Kafka: asked of the cluster on a thread of its own, never by a scrape
                ConsumerLag lag = new ConsumerLag(brokers, batchGroupId, requestTopics.all(), 10_000,
                        context.getExecutorServiceManager().newSingleThreadScheduledExecutor(this, "ilb-batch-lag"));
                context.addService(lag);
                IlbMeters.consumerLag(ilbMeters, lag);
                context.addService(new BatchIntakeMBean(intake, lag));
            }
        }

        if (demoFleet) {
            context.addService(new DemoFleet());
        }

        // the Hawtio console on a port of its own (ilb.console.*): routes, backends and their operations
        if (consoleEnabled) {
            context.addService(new HawtioConsole(ConsoleSettings.from(context.getPropertiesComponent(),
                    tls.console() != null), tls.console()));
        }
    }

    /**
     * grpc-java logs through java.util.logging: to SLF4J (logback) instead, once per JVM, at the levels logback.xml
     * sets (its LevelChangePropagator gives them to java.util.logging, so a disabled level costs nothing).
     */
    private static synchronized void routeJavaUtilLogging() {
        if (!SLF4JBridgeHandler.isInstalled()) {
            SLF4JBridgeHandler.removeHandlersForRootLogger();
            SLF4JBridgeHandler.install();
        }
    }

    /** Shuts something shared (the I/O threads, the hedge timer) down with Camel. */
    private static final class StoppedWithCamel extends ServiceSupport {
        private final Runnable stop;

        StoppedWithCamel(Runnable stop) {
            this.stop = stop;
        }

        @Override
        protected void doStop() {
            stop.run();
        }
    }
}
