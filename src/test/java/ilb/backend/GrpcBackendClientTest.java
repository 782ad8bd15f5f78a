package ilb.backend;

import java.net.URI;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.Duration;
import com.google.rpc.RetryInfo;
import ilb.Appliance;
import ilb.inference.BackendFailure;
import ilb.inference.HttpReply;
import ilb.inference.InferenceMessage;
import ilb.inference.Protocol;
import ilb.protocols.grpc.GrpcStatuses;
import ilb.protocols.grpc.KServeRpc;
import ilb.protocols.grpc.v2.ModelInferRequest;
import ilb.protocols.grpc.v2.ModelInferResponse;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Promise;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Calls to a real gRPC server on loopback, and each way they can end. */
class GrpcBackendClientTest {

    private static final MethodDescriptor<byte[], byte[]> INFER = GrpcBackendClient.onBytes(
            KServeRpc.MODEL_INFER.method());
    private static final int MAX_RESPONSE_BYTES = 64 << 20;

    private final NioEventLoopGroup loops = new NioEventLoopGroup(1);
    private final GrpcBackendClient client = new GrpcBackendClient(loops, MAX_RESPONSE_BYTES);
    private KServeGrpcServer server;

    @AfterEach
    void stop() throws Exception {
        client.close();
        if (server != null) {
            server.close();
        }
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }

    /** A gRPC backend with {@code timeout} and {@code deadline} in ms, held as a running endpoint holds it. */
    private BackendSettings held(String url, long timeoutMillis, long deadlineMillis, String apiKey) {
        BackendSettings settings = new BackendSettings("g", URI.create(url), Protocol.GRPC, 0, 1, 4, "", "", "", "",
                timeoutMillis, deadlineMillis, 1000, 1000, 0, apiKey, null);
        client.hold(settings);
        return settings;
    }

    private BackendSettings held(String url) {
        return held(url, 60_000, 60_000, null);
    }

    private CompletableFuture<InferenceMessage> infer(BackendSettings settings, byte[] message,
            Map<String, String> headers, TimeLimits limits, Promise<Void> clientGone) {
        CompletableFuture<InferenceMessage> done = new CompletableFuture<>();
        client.call(settings, INFER, message, headers, limits, clientGone, done::complete);
        return done;
    }

    private CompletableFuture<InferenceMessage> infer(BackendSettings settings, byte[] message) {
        return infer(settings, message, Map.of(), TimeLimits.of(settings, null, System.nanoTime()), null);
    }

    private static byte[] request(String model) {
        return ModelInferRequest.newBuilder().setModelName(model).build().toByteArray();
    }

    private static InferenceMessage outcome(CompletableFuture<InferenceMessage> call) throws Exception {
        return call.get(30, TimeUnit.SECONDS);
    }

    private static BackendFailure.Kind failureOf(CompletableFuture<InferenceMessage> call) throws Exception {
        InferenceMessage outcome = outcome(call);
        assertThat(outcome).isInstanceOf(BackendFailure.class);
        return ((BackendFailure) outcome).kind();
    }

    @Test
    void aLargeRequestAndItsResponsePassByteForByte() throws Exception {
        byte[] tensor = new byte[32 << 20];
        Arrays.fill(tensor, 0, tensor.length / 2, (byte) 7);
        tensor[tensor.length - 1] = 42;
        ModelInferResponse answer = ModelInferResponse.newBuilder().setModelName("m").setId("r1")
                .addRawOutputContents(ByteString.copyFrom(tensor)).build();
        server = KServeGrpcServer.start((request, response) -> {
            response.onNext(answer);
            response.onCompleted();
        });
        byte[] message = ModelInferRequest.newBuilder().setModelName("m").setModelVersion("2").setId("r1")
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("x").setDatatype("UINT8")
                        .addShape(tensor.length))
                .addRawInputContents(ByteString.copyFrom(tensor)).build().toByteArray();

        InferenceMessage outcome = outcome(infer(held(server.url()), message));

        assertThat(server.inferRequests).hasSize(1);
        assertThat(server.inferRequests.peek().toByteArray()).isEqualTo(message);
        assertThat(outcome).isInstanceOfSatisfying(HttpReply.class, reply -> {
            assertThat(reply.status()).isEqualTo(200);
            assertThat(reply.headers()).containsEntry("content-type", "application/grpc");
            assertThat(reply.body()).isEqualTo(answer.toByteArray());
        });
    }

    @Test
    void theBackendGetsTracingHeadersAndItsOwnKeyNeverTheClients() throws Exception {
        server = KServeGrpcServer.start(KServeGrpcServer::answerEmpty);
        BackendSettings settings = held(server.url(), 60_000, 60_000, "backend-key");
        Map<String, String> headers = Map.of("x-request-id", "req-1", "traceparent",
                "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "tracestate", "vendor=1",
                "authorization", "Bearer client-key", "x-other", "no");

        assertThat(outcome(infer(settings, request("m"), headers, TimeLimits.of(settings, null, System.nanoTime()),
                null))).isInstanceOf(HttpReply.class);

        Metadata seen = server.nextCall().headers();
        assertThat(seen.get(key("x-request-id"))).isEqualTo("req-1");
        assertThat(seen.get(key("traceparent"))).isEqualTo(headers.get("traceparent"));
        assertThat(seen.get(key("tracestate"))).isEqualTo("vendor=1");
        assertThat(seen.getAll(key("authorization"))).containsExactly("Bearer backend-key");
        assertThat(seen.get(key("x-other"))).isNull();
    }

    private static Metadata.Key<String> key(String name) {
        return Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER);
    }

    @Test
    void theBackendsOwnErrorStatusIsItsReply() throws Exception {
        server = KServeGrpcServer.start((request, response) -> response.onError(
                (request.getModelName().equals("bad") ? Status.INVALID_ARGUMENT.withDescription("shape [3] for 4")
                        : Status.UNAVAILABLE.withDescription("model is loading")).asRuntimeException()));
        BackendSettings settings = held(server.url());

        InferenceMessage invalid = outcome(infer(settings, request("bad")));
        InferenceMessage unavailable = outcome(infer(settings, request("loading")));

        HttpReply expected = GrpcStatuses.reply(Status.INVALID_ARGUMENT.withDescription("shape [3] for 4"));
        assertThat(invalid).isInstanceOfSatisfying(HttpReply.class, reply -> {
            assertThat(reply.status()).isEqualTo(400);
            assertThat(reply.headers()).isEqualTo(expected.headers()).containsEntry(GrpcStatuses.STATUS_HEADER, "3");
            assertThat(reply.body()).isEqualTo(expected.body());
        });
        // from the server itself, over a working connection: its answer, not a failure to reach it
        assertThat(unavailable).isInstanceOfSatisfying(HttpReply.class, reply -> {
            assertThat(reply.status()).isEqualTo(503);
            assertThat(reply.headers()).containsEntry(GrpcStatuses.STATUS_HEADER, "14");
            assertThat(reply.body()).isEqualTo(GrpcStatuses.reply(Status.UNAVAILABLE
                    .withDescription("model is loading")).body());
        });
        assertThat(server.inferRequests).hasSize(2);
    }

    @Test
    void theBackendsRetryAfterTrailerAndRetryInfoReachTheReply() throws Exception {
        server = KServeGrpcServer.start((request, response) -> {
            if (request.getModelName().equals("trailer")) {
                Metadata trailers = new Metadata();
                trailers.put(GrpcStatuses.RETRY_AFTER, "7");
                response.onError(Status.RESOURCE_EXHAUSTED.withDescription("rate limited")
                        .asRuntimeException(trailers));
            } else {
                response.onError(StatusProto.toStatusRuntimeException(com.google.rpc.Status.newBuilder()
                        .setCode(Status.Code.UNAVAILABLE.value()).setMessage("warming up")
                        .addDetails(Any.pack(RetryInfo.newBuilder()
                                .setRetryDelay(Duration.newBuilder().setSeconds(4)).build()))
                        .build()));
            }
        });
        BackendSettings settings = held(server.url());

        InferenceMessage limited = outcome(infer(settings, request("trailer")));
        InferenceMessage warming = outcome(infer(settings, request("details")));

        assertThat(limited).isInstanceOfSatisfying(HttpReply.class, reply -> {
            assertThat(reply.status()).isEqualTo(429);
            assertThat(reply.retryAfterMillis(0)).isEqualTo(7000);
        });
        assertThat(warming).isInstanceOfSatisfying(HttpReply.class, reply -> {
            assertThat(reply.status()).isEqualTo(503);
            assertThat(reply.retryAfterMillis(0)).isEqualTo(4000);
        });
        assertThat(server.inferRequests).hasSize(2);
    }

    @Test
    void noServerIsAConnectFailure() throws Exception {
        int port = Appliance.freePort();
        BackendSettings settings = held("grpc://127.0.0.1:" + port);

        assertThat(failureOf(infer(settings, request("m")))).isEqualTo(BackendFailure.Kind.CONNECT);
        // and again, while the channel is in gRPC's backoff
        assertThat(failureOf(infer(settings, request("m")))).isEqualTo(BackendFailure.Kind.CONNECT);
    }

    @Test
    void aServerKilledMidCallIsAReset() throws Exception {
        server = KServeGrpcServer.start(KServeGrpcServer::neverAnswer);
        CompletableFuture<InferenceMessage> call = infer(held(server.url()), request("m"));
        server.nextCall();

        server.kill();

        assertThat(failureOf(call)).isEqualTo(BackendFailure.Kind.RESET);
    }

    @Test
    void theBackendSeesTheDeadlineAndItsExpiryIsATimeout() throws Exception {
        server = KServeGrpcServer.start(KServeGrpcServer::neverAnswer);
        // the timeout is the nearer limit
        BackendSettings settings = held(server.url(), 300, 60_000, null);

        CompletableFuture<InferenceMessage> call = infer(settings, request("m"));

        KServeGrpcServer.Call seen = server.nextCall();
        assertThat(seen.deadline()).isNotNull();
        assertThat(seen.deadline().timeRemaining(TimeUnit.MILLISECONDS)).isLessThanOrEqualTo(300);
        assertThat(failureOf(call)).isEqualTo(BackendFailure.Kind.TIMEOUT);
        // the backend stops too
        assertThat(seen.cancelled().get(30, TimeUnit.SECONDS)).isNotNull();
    }

    @Test
    void theRequestsOwnEarlierDeadlineExpiresTheCall() throws Exception {
        server = KServeGrpcServer.start(KServeGrpcServer::neverAnswer);
        BackendSettings settings = held(server.url());
        // connected first, so that the request's 300 ms are the call's alone, not a cold channel's connecting
        CompletableFuture<InferenceMessage> ready = new CompletableFuture<>();
        client.call(settings, GrpcBackendClient.onBytes(KServeRpc.SERVER_READY.method()), new byte[0], Map.of(),
                TimeLimits.of(settings, null, System.nanoTime()), null, ready::complete);
        assertThat(ready.get(30, TimeUnit.SECONDS)).isInstanceOf(HttpReply.class);
        server.nextCall();
        long now = System.nanoTime();
        TimeLimits limits = TimeLimits.of(settings, now + TimeUnit.MILLISECONDS.toNanos(300), now);

        CompletableFuture<InferenceMessage> call = infer(settings, request("m"), Map.of(), limits, null);

        assertThat(server.nextCall().deadline().timeRemaining(TimeUnit.MILLISECONDS)).isLessThanOrEqualTo(300);
        assertThat(failureOf(call)).isEqualTo(BackendFailure.Kind.EXPIRED);
    }

    @Test
    void aClientGoneCancelsTheCallAtTheBackend() throws Exception {
        server = KServeGrpcServer.start(KServeGrpcServer::neverAnswer);
        BackendSettings settings = held(server.url());
        Promise<Void> clientGone = loops.next().newPromise();

        CompletableFuture<InferenceMessage> call = infer(settings, request("m"), Map.of(),
                TimeLimits.of(settings, null, System.nanoTime()), clientGone);
        KServeGrpcServer.Call seen = server.nextCall();
        clientGone.setSuccess(null);

        assertThat(failureOf(call)).isEqualTo(BackendFailure.Kind.CLIENT_GONE);
        assertThat(Status.fromThrowable(seen.cancelled().get(30, TimeUnit.SECONDS)).getCode())
                .isEqualTo(Status.Code.CANCELLED);
    }

    @Test
    void aClientGoneBeforeTheCallSendsNothing() throws Exception {
        server = KServeGrpcServer.start(KServeGrpcServer::answerEmpty);
        BackendSettings settings = held(server.url());
        Promise<Void> clientGone = loops.next().newPromise();
        clientGone.setSuccess(null);

        assertThat(failureOf(infer(settings, request("m"), Map.of(), TimeLimits.of(settings, null,
                System.nanoTime()), clientGone))).isEqualTo(BackendFailure.Kind.CLIENT_GONE);
        assertThat(outcome(infer(settings, request("next")))).isInstanceOf(HttpReply.class);
        assertThat(server.inferRequests).extracting(ModelInferRequest::getModelName).containsExactly("next");
    }

    @Test
    void aResponseOverTheCapIsTooLargeAndTheConnectionServesOn() throws Exception {
        GrpcBackendClient capped = new GrpcBackendClient(loops, 1 << 20);
        ModelInferResponse big = ModelInferResponse.newBuilder()
                .addRawOutputContents(ByteString.copyFrom(new byte[2 << 20])).build();
        server = KServeGrpcServer.start((request, response) -> {
            response.onNext(request.getModelName().equals("big") ? big : ModelInferResponse.getDefaultInstance());
            response.onCompleted();
        });
        BackendSettings settings = new BackendSettings("g", URI.create(server.url()), Protocol.GRPC, 0, 1, 4, "",
                "", "", "", 60_000, 60_000, 1000, 1000, 0, null, null);
        capped.hold(settings);
        try {
            CompletableFuture<InferenceMessage> tooLarge = new CompletableFuture<>();
            capped.call(settings, INFER, request("big"), Map.of(), TimeLimits.of(settings, null, System.nanoTime()),
                    null, tooLarge::complete);
            assertThat(failureOf(tooLarge)).isEqualTo(BackendFailure.Kind.RESPONSE_TOO_LARGE);

            CompletableFuture<InferenceMessage> small = new CompletableFuture<>();
            capped.call(settings, INFER, request("small"), Map.of(), TimeLimits.of(settings, null, System.nanoTime()),
                    null, small::complete);
            assertThat(outcome(small)).isInstanceOf(HttpReply.class);
            assertThat(server.connectionsOpened).hasValue(1);
        } finally {
            capped.close();
        }
    }

    @Test
    void theChannelClosesWhenTheLastEndpointHoldingItStops() throws Exception {
        server = KServeGrpcServer.start(KServeGrpcServer::answerEmpty);
        BackendSettings settings = held(server.url());
        client.hold(settings);
        assertThat(outcome(infer(settings, request("m")))).isInstanceOf(HttpReply.class);

        client.release(settings);
        assertThat(outcome(infer(settings, request("m")))).isInstanceOf(HttpReply.class);
        assertThat(server.connectionsClosed).hasValue(0);

        client.release(settings);
        await().atMost(30, TimeUnit.SECONDS).untilAsserted(() -> assertThat(server.connectionsClosed).hasValue(1));
        assertThat(server.connectionsOpened).hasValue(1);
        assertThat(outcome(infer(settings, request("m")))).isInstanceOfSatisfying(BackendFailure.class,
                failure -> assertThat(failure.kind()).isEqualTo(BackendFailure.Kind.CONNECT));
        assertThat(server.inferRequests).hasSize(2);
    }

    @Test
    void aCallIsAnsweredOnTheEventLoopItWasMadeOnOverThatLoopsOwnConnection() throws Exception {
        server = KServeGrpcServer.start(KServeGrpcServer::answerEmpty);
        NioEventLoopGroup two = new NioEventLoopGroup(2);
        try (GrpcBackendClient perLoop = new GrpcBackendClient(two, MAX_RESPONSE_BYTES)) {
            BackendSettings settings = held(server.url());
            perLoop.hold(settings);
            for (EventExecutor loop : two) {
                CompletableFuture<Boolean> answeredOnIt = new CompletableFuture<>();
                loop.execute(() -> perLoop.call(settings, INFER, request("m"), Map.of(),
                        TimeLimits.of(settings, null, System.nanoTime()), null,
                        outcome -> answeredOnIt.complete(outcome instanceof HttpReply && loop.inEventLoop())));
                assertThat(answeredOnIt.get(30, TimeUnit.SECONDS)).isTrue();
            }
            assertThat(server.connectionsOpened).hasValue(2);
        } finally {
            two.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }
}
