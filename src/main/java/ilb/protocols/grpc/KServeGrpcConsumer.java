package ilb.protocols.grpc;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import ilb.protocols.Drainable;
import ilb.telemetry.RequestRecords;
import ilb.protocols.grpc.v2.GRPCInferenceServiceGrpc;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.ProtoReflectionService;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import org.apache.camel.Processor;
import org.apache.camel.support.DefaultConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gRPC entry while its route runs: a grpc-java Netty server on ilb's event loops with
 * {@code inference.GRPCInferenceService} (each call an {@link InferenceCall}, behind {@link ApiKeyInterceptor}),
 * {@code grpc.health.v1.Health} ({@link GrpcHealth}, refreshed every second) and server reflection (v1, and v1alpha
 * for older tools such as grpcurl). The calls open without a key are held to a few kilobytes ({@link OpenCallLimit}).
 */
public final class KServeGrpcConsumer extends DefaultConsumer implements Drainable {

    private static final Logger LOG = LoggerFactory.getLogger(KServeGrpcConsumer.class);
    private static final long HEALTH_REFRESH_MILLIS = 1000;
    private Server server;
    private GrpcHealth health;
    private ScheduledFuture<?> refreshing;

    KServeGrpcConsumer(KServeGrpcEndpoint endpoint, Processor processor) {
        super(endpoint, processor);
    }

    @Override
    public KServeGrpcEndpoint getEndpoint() {
        return (KServeGrpcEndpoint) super.getEndpoint();
    }

    @Override
    @SuppressWarnings("deprecation") // ProtoReflectionService: v1alpha, which older clients still ask
    protected void doStart() throws Exception {
        super.doStart();
        KServeGrpcEndpoint endpoint = getEndpoint();
        KServeGrpcComponent component = endpoint.getComponent();
        EventLoopGroup eventLoops = component.eventLoops();
        health = new GrpcHealth(component.catalog(), component.serving(), endpoint.getCamelContext());
        health.refresh();
        OpenCallLimit openCallLimit = new OpenCallLimit();
        NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress(endpoint.host(),
                        endpoint.port()))
                .bossEventLoopGroup(eventLoops)
                .workerEventLoopGroup(eventLoops)
                .channelType(NioServerSocketChannel.class)
                // nothing on the path blocks: calls run on the connection's event loop, with no hand-off
                .directExecutor()
                .maxInboundMessageSize(endpoint.maxMessageBytes())
                .addStreamTracerFactory(openCallLimit)
                .intercept(openCallLimit)
                .maxConcurrentCallsPerConnection(endpoint.maxConcurrentCallsPerConnection())
                .addService(ServerInterceptors.intercept(inferenceService(eventLoops, component.records()),
                        new ApiKeyInterceptor(component.apiKeys(), component.records(),
                                component.refusals())))
                .addService(health.service())
                .addService(ProtoReflectionServiceV1.newInstance())
                .addService(ProtoReflectionService.newInstance());
        if (component.sslContext() != null) {
            builder.sslContext(component.sslContext());
        }
        if (endpoint.maxConnectionIdleMillis() > 0) {
            builder.maxConnectionIdle(endpoint.maxConnectionIdleMillis(), TimeUnit.MILLISECONDS);
        }
        try {
            server = builder.build().start();
        } catch (IOException e) {
            throw new IOException("the gRPC entry cannot listen on " + endpoint.host() + ":" + endpoint.port(), e);
        }
        refreshing = component.timer().scheduleWithFixedDelay(this::refreshHealth, HEALTH_REFRESH_MILLIS,
                HEALTH_REFRESH_MILLIS, TimeUnit.MILLISECONDS);
        LOG.info("KServe v2 gRPC on {}:{}{}", endpoint.host(), server.getPort(),
                component.sslContext() != null ? " (TLS)" : "");
    }

    /** Refuses new calls (HTTP/2 GOAWAY: clients open them elsewhere); calls under way go on. */
    @Override
    public void drain() {
        if (server != null) {
            server.shutdown();
        }
    }

    @Override
    public boolean awaitDrained(long timeout, TimeUnit unit) throws InterruptedException {
        return server == null || server.awaitTermination(timeout, unit);
    }

    @Override
    protected void doStop() throws Exception {
        if (refreshing != null) {
            refreshing.cancel(false);
        }
        if (health != null) {
            health.stop();
        }
        if (server != null) {
            // calls under way finish (within Camel's shutdown timeout), new ones are refused
            server.shutdown();
            var shutdown = getEndpoint().getCamelContext().getShutdownStrategy();
            if (!server.awaitTermination(shutdown.getTimeout(), shutdown.getTimeUnit())) {
                server.shutdownNow();
            }
        }
        super.doStop();
    }

    private void refreshHealth() {
        try {
            health.refresh();
        } catch (RuntimeException e) {
            // the timer would not run it again
            LOG.warn("the gRPC health statuses could not be refreshed", e);
        }
    }

    /**
     * {@code inference.GRPCInferenceService} with each message as its bytes ({@link RawMessage}), described by the
     * generated descriptor's schema, so that reflection still describes it.
     */
    private ServerServiceDefinition inferenceService(EventLoopGroup eventLoops, RequestRecords records) {
        ServiceDescriptor generated = GRPCInferenceServiceGrpc.getServiceDescriptor();
        ServiceDescriptor.Builder service = ServiceDescriptor.newBuilder(generated.getName())
                .setSchemaDescriptor(generated.getSchemaDescriptor());
        KServeRpc[] rpcs = KServeRpc.values();
        @SuppressWarnings("unchecked")
        MethodDescriptor<byte[], byte[]>[] methods = new MethodDescriptor[rpcs.length];
        for (int i = 0; i < rpcs.length; i++) {
            methods[i] = rpcs[i].method().toBuilder(RawMessage.MARSHALLER, RawMessage.MARSHALLER).build();
            service.addMethod(methods[i]);
        }
        ServerServiceDefinition.Builder definition = ServerServiceDefinition.builder(service.build());
        for (int i = 0; i < rpcs.length; i++) {
            KServeRpc rpc = rpcs[i];
            definition.addMethod(methods[i], (call, metadata) -> InferenceCall.start(this, rpc, call, metadata,
                    eventLoops, records));
        }
        return definition.build();
    }
}
