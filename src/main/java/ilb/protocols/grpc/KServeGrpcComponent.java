package ilb.protocols.grpc;

import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;

import ilb.admission.ApiKeys;
import ilb.routing.ModelCatalog;
import ilb.telemetry.RefusalMeters;
import ilb.telemetry.RequestRecords;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslContext;
import org.apache.camel.Endpoint;
import org.apache.camel.support.DefaultComponent;

/**
 * The {@code kserve-grpc:} component: {@code from: kserve-grpc:<host>:<port>} is ilb's gRPC entry, a grpc-java
 * server on ilb's event loops serving KServe v2's {@code inference.GRPCInferenceService}, each call an exchange of
 * the route, beside {@code grpc.health.v1.Health} and server reflection.
 * <p>
 * Not camel-grpc's consumer: it binds exactly one service per server, so no health or reflection beside it, and it
 * blocks a thread per call, where ilb's path from client to backend is asynchronous throughout.
 */
public class KServeGrpcComponent extends DefaultComponent {

    private final ApiKeys apiKeys;
    private final EventLoopGroup eventLoops;
    private final ScheduledExecutorService timer;
    private final ModelCatalog catalog;
    private final ServingModels serving;
    private final RequestRecords records;
    private final RefusalMeters refusals;
    private SslContext sslContext;

    /**
     * @param eventLoops the I/O threads of the server (NIO), best the backends' too: a call is served on one thread
     * @param timer      runs the health service's refresh
     * @param records    starts each call's record, for the access log and tracing
     * @param refusals   counts the calls refused for their key
     */
    public KServeGrpcComponent(ApiKeys apiKeys, EventLoopGroup eventLoops, ScheduledExecutorService timer,
            ModelCatalog catalog, ServingModels serving, RequestRecords records, RefusalMeters refusals) {
        this.records = records;
        this.refusals = refusals;
        this.apiKeys = apiKeys;
        this.eventLoops = eventLoops;
        this.timer = timer;
        this.catalog = catalog;
        this.serving = serving;
    }

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) throws Exception {
        int colon = remaining.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("kserve-grpc: needs <host>:<port>, not " + remaining);
        }
        KServeGrpcEndpoint endpoint = new KServeGrpcEndpoint(uri, this, remaining.substring(0, colon),
                Integer.parseInt(remaining.substring(colon + 1)));
        setProperties(endpoint, parameters);
        return endpoint;
    }

    /** TLS for the gRPC entry (with ALPN h2: {@link ilb.tls.TlsContexts#grpc}); null, the default, for plaintext. */
    public void setSslContext(SslContext sslContext) {
        this.sslContext = sslContext;
    }

    SslContext sslContext() {
        return sslContext;
    }

    ApiKeys apiKeys() {
        return apiKeys;
    }

    EventLoopGroup eventLoops() {
        return eventLoops;
    }

    ScheduledExecutorService timer() {
        return timer;
    }

    ModelCatalog catalog() {
        return catalog;
    }

    ServingModels serving() {
        return serving;
    }

    RequestRecords records() {
        return records;
    }

    RefusalMeters refusals() {
        return refusals;
    }
}
