package ilb.backend;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import ilb.protocols.grpc.v2.GRPCInferenceServiceGrpc;
import ilb.protocols.grpc.v2.ModelInferRequest;
import ilb.protocols.grpc.v2.ModelInferResponse;
import ilb.protocols.grpc.v2.ServerReadyRequest;
import ilb.protocols.grpc.v2.ServerReadyResponse;
import io.grpc.Attributes;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerTransportFilter;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.stub.StreamObserver;

/**
 * A KServe v2 gRPC server on a loopback port, with the standard health service, for tests: ModelInfer is answered as
 * the test says, ServerReady as {@link #ready} says. It records each call it gets, and its connections.
 */
final class KServeGrpcServer implements AutoCloseable {

    /** How the server answers one ModelInfer call: at once, later, or never. */
    @FunctionalInterface
    interface Infer {
        void answer(ModelInferRequest request, StreamObserver<ModelInferResponse> response);
    }

    /**
     * One call as the server got it.
     *
     * @param deadline  the deadline it had (from the client's grpc-timeout), or null
     * @param cancelled completes with the cause when the call's context is cancelled (the client's cancellation,
     *                  the deadline) before it is answered
     */
    record Call(String method, Metadata headers, Deadline deadline, CompletableFuture<Throwable> cancelled) {
    }

    private static final int DEFAULT_MAX_REQUEST_BYTES = 64 << 20;

    final HealthStatusManager health = new HealthStatusManager();
    volatile boolean ready = true;
    /** Every call, in the order they came. */
    final BlockingQueue<Call> calls = new LinkedBlockingQueue<>();
    /** ModelInfer requests, in the order they came. */
    final BlockingQueue<ModelInferRequest> inferRequests = new LinkedBlockingQueue<>();
    final AtomicInteger connectionsOpened = new AtomicInteger();
    final AtomicInteger connectionsClosed = new AtomicInteger();
    private final Server server;

    private KServeGrpcServer(int port, int maxRequestBytes, Infer infer) {
        GRPCInferenceServiceGrpc.GRPCInferenceServiceImplBase service = new GRPCInferenceServiceGrpc
                .GRPCInferenceServiceImplBase() {
            @Override
            public void serverReady(ServerReadyRequest request, StreamObserver<ServerReadyResponse> response) {
                response.onNext(ServerReadyResponse.newBuilder().setReady(ready).build());
                response.onCompleted();
            }

            @Override
            public void modelInfer(ModelInferRequest request, StreamObserver<ModelInferResponse> response) {
                inferRequests.add(request);
                infer.answer(request, response);
            }
        };
        ServerInterceptor recorder = new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                    ServerCallHandler<Q, R> next) {
                Context context = Context.current();
                Call seen = new Call(call.getMethodDescriptor().getFullMethodName(), headers, context.getDeadline(),
                        new CompletableFuture<>());
                context.addListener(cancelled -> seen.cancelled().complete(cancelled.cancellationCause()),
                        Runnable::run);
                calls.add(seen);
                return next.startCall(call, headers);
            }
        };
        try {
            server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port))
                    .maxInboundMessageSize(maxRequestBytes)
                    .addService(ServerInterceptors.intercept(service, recorder))
                    .addService(ServerInterceptors.intercept(health.getHealthService(), recorder))
                    .addTransportFilter(new ServerTransportFilter() {
                        @Override
                        public Attributes transportReady(Attributes attributes) {
                            connectionsOpened.incrementAndGet();
                            return attributes;
                        }

                        @Override
                        public void transportTerminated(Attributes attributes) {
                            connectionsClosed.incrementAndGet();
                        }
                    })
                    .build()
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A server on a free port. */
    static KServeGrpcServer start(Infer infer) {
        return new KServeGrpcServer(0, DEFAULT_MAX_REQUEST_BYTES, infer);
    }

    /** A server on the given port. */
    static KServeGrpcServer start(int port, Infer infer) {
        return new KServeGrpcServer(port, DEFAULT_MAX_REQUEST_BYTES, infer);
    }

    /** A server on a free port whose gRPC refuses request messages over {@code maxRequestBytes}, RESOURCE_EXHAUSTED. */
    static KServeGrpcServer taking(int maxRequestBytes, Infer infer) {
        return new KServeGrpcServer(0, maxRequestBytes, infer);
    }

    /** Answers every ModelInfer with an empty response. */
    static void answerEmpty(ModelInferRequest request, StreamObserver<ModelInferResponse> response) {
        response.onNext(ModelInferResponse.newBuilder().setModelName(request.getModelName()).build());
        response.onCompleted();
    }

    /** Never answers ModelInfer: the call lasts until the client gives up on it or the server goes. */
    static void neverAnswer(ModelInferRequest request, StreamObserver<ModelInferResponse> response) {
    }

    int port() {
        return server.getPort();
    }

    String url() {
        return "grpc://127.0.0.1:" + port();
    }

    /** The next call the server gets. */
    Call nextCall() throws InterruptedException {
        Call call = calls.poll(30, TimeUnit.SECONDS);
        if (call == null) {
            throw new AssertionError("the server got no call in 30 s");
        }
        return call;
    }

    /** Stops at once, breaking the connections and the calls under way, as a process killed would. */
    void kill() throws InterruptedException {
        server.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        kill();
    }
}
