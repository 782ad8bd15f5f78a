package ilb.protocols.grpc;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.ServiceDescriptorProto;
import com.google.rpc.RetryInfo;
import ilb.Appliance;
import ilb.RawBackend;
import ilb.Servers;
import ilb.protocols.grpc.v2.GRPCInferenceServiceGrpc;
import ilb.protocols.grpc.v2.GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub;
import ilb.protocols.grpc.v2.ModelInferRequest;
import ilb.protocols.grpc.v2.ModelInferRequest.InferInputTensor;
import ilb.protocols.grpc.v2.ModelMetadataRequest;
import ilb.protocols.grpc.v2.ModelReadyRequest;
import ilb.protocols.grpc.v2.ServerLiveRequest;
import ilb.protocols.grpc.v2.ServerMetadataRequest;
import ilb.protocols.grpc.v2.ServerReadyRequest;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.protobuf.StatusProto;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.reflection.v1.ServiceResponse;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import ilb.simulator.SimulatorOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static ilb.PoolRoute.backend;
import static ilb.PoolRoute.pool;
import static ilb.PoolRoute.route;
import static ilb.protocols.grpc.GrpcClients.channel;
import static ilb.protocols.grpc.GrpcClients.failure;
import static ilb.protocols.grpc.GrpcClients.headers;
import static ilb.protocols.grpc.GrpcClients.infer;
import static ilb.protocols.grpc.GrpcClients.key;
import static ilb.protocols.grpc.GrpcClients.service;
import static ilb.protocols.grpc.GrpcClients.stub;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * ilb's gRPC entry through a real grpc-java client: health, reflection, admission before the message, and every
 * error ilb answers itself as its gRPC status. (Calls that backends serve: {@link GrpcFleetTest}.)
 */
class GrpcEntryTest {

    private static final int MAX_MESSAGE_BYTES = 1 << 20;
    private static final String NARROW_KEY = "sk-narrow";
    private static final String LIMITED_KEY = "sk-limited";
    private static final Servers SERVERS = new Servers();
    private static RawBackend trickling;
    private static Appliance ilb;
    private static ManagedChannel channel;

    @BeforeAll
    static void start() {
        trickling = SERVERS.raw(RawBackend.TRICKLE);
        String nobody = "http://127.0.0.1:" + Appliance.freePort();
        ilb = SERVERS.ilb(pool("m", "round-robin", backend("m-0", SERVERS.backend(new SimulatorOptions().models("m")
                        .ttftMs(1))))
                        + pool("dead", "round-robin", backend("dead-0", nobody, "healthPath:", "metricsPath:"))
                        + pool("unreached", "round-robin", backend("unreached-0", nobody, "healthPath:", "metricsPath:"))
                        + pool("slow", "round-robin", backend("slow-0", trickling.url(), "healthPath:", "metricsPath:"))
                        + route("resnet-v1", "model:resnet?version=1", "", "round-robin",
                                backend("resnet-0", nobody, "healthPath:", "metricsPath:")),
                // minutes pass only when a test says: a tenant at its requests a minute stays there
                Map.of("ilbClock", (LongSupplier) () -> 1_000_000L),
                "ilb.grpc.maxMessageBytes=" + MAX_MESSAGE_BYTES,
                "ilb.tenants=test,narrow,limited",
                "ilb.tenant.narrow.apiKeys=" + NARROW_KEY, "ilb.tenant.narrow.models=m",
                "ilb.tenant.limited.apiKeys=" + LIMITED_KEY, "ilb.tenant.limited.requestsPerMinute=1");
        channel = channel(ilb.grpcPort(), MAX_MESSAGE_BYTES);
    }

    @AfterAll
    static void stop() throws Exception {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        SERVERS.close();
    }

    // -- open without a key: server health, the health service, reflection

    @Test
    void serverLiveAndReadyNeedNoKey() {
        GRPCInferenceServiceBlockingStub anonymous = GRPCInferenceServiceGrpc.newBlockingStub(channel);

        assertThat(anonymous.serverLive(ServerLiveRequest.getDefaultInstance()).getLive()).isTrue();
        assertThat(anonymous.serverReady(ServerReadyRequest.getDefaultInstance()).getReady()).isTrue();
    }

    @Test
    void serverMetadataIsIlbs() {
        var metadata = stub(channel, Appliance.API_KEY).serverMetadata(ServerMetadataRequest.getDefaultInstance());

        assertThat(metadata.getName()).isEqualTo("ilb");
        assertThat(metadata.getVersion()).isEqualTo("1");
    }

    @Test
    void healthSaysIlbIsReadyAndWhichModelsHaveABackendInRotation() {
        HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(channel);

        // refreshed every second: ilb may have just started
        await().until(() -> health.check(service("")).getStatus() == ServingStatus.SERVING);
        await().until(() -> health.check(service("m")).getStatus() == ServingStatus.SERVING);
        StatusRuntimeException unknown = failure(() -> health.check(service("no-such-model")));
        assertThat(unknown.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);

        ilb.backend("m-0").drain();
        try {
            await().until(() -> health.check(service("m")).getStatus() == ServingStatus.NOT_SERVING);
        } finally {
            ilb.backend("m-0").undrain();
        }
        await().until(() -> health.check(service("m")).getStatus() == ServingStatus.SERVING);
    }

    @Test
    void reflectionListsAndDescribesTheInferenceService() throws Exception {
        ServerReflectionResponse listed = reflect(ServerReflectionGrpc.getServerReflectionInfoMethod(),
                ServerReflectionRequest.newBuilder().setListServices("").build());
        ServerReflectionResponse described = reflect(ServerReflectionGrpc.getServerReflectionInfoMethod(),
                ServerReflectionRequest.newBuilder().setFileContainingSymbol("inference.GRPCInferenceService").build());
        // older clients (grpcurl before 1.9) ask v1alpha
        var listedByAlpha = reflect(io.grpc.reflection.v1alpha.ServerReflectionGrpc.getServerReflectionInfoMethod(),
                io.grpc.reflection.v1alpha.ServerReflectionRequest.newBuilder().setListServices("").build());

        assertThat(listed.getListServicesResponse().getServiceList()).extracting(ServiceResponse::getName)
                .contains("inference.GRPCInferenceService", "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection");
        List<ServiceDescriptorProto> services = new ArrayList<>();
        for (var file : described.getFileDescriptorResponse().getFileDescriptorProtoList()) {
            FileDescriptorProto proto = FileDescriptorProto.parseFrom(file);
            if (proto.getPackage().equals("inference")) {
                services.addAll(proto.getServiceList());
            }
        }
        assertThat(services).singleElement().satisfies(service -> {
            assertThat(service.getName()).isEqualTo("GRPCInferenceService");
            assertThat(service.getMethodList()).anySatisfy(method -> {
                assertThat(method.getName()).isEqualTo("ModelInfer");
                assertThat(method.getInputType()).isEqualTo(".inference.ModelInferRequest");
                assertThat(method.getOutputType()).isEqualTo(".inference.ModelInferResponse");
            });
        });
        assertThat(listedByAlpha.getListServicesResponse().getServiceList())
                .extracting(io.grpc.reflection.v1alpha.ServiceResponse::getName)
                .contains("inference.GRPCInferenceService");
    }

    // -- admission before the message

    @Test
    void withoutAKeyOrWithAWrongOneACallIsUnauthenticated() {
        StatusRuntimeException none = failure(() -> GRPCInferenceServiceGrpc.newBlockingStub(channel)
                .modelMetadata(ModelMetadataRequest.newBuilder().setName("m").build()));
        StatusRuntimeException wrong = failure(() -> stub(channel, "sk-wrong").modelInfer(infer("m")));

        assertThat(none.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
        assertThat(none.getStatus().getDescription()).contains("Authorization: Bearer <key>");
        assertThat(wrong.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
        assertThat(wrong.getStatus().getDescription()).isEqualTo("Incorrect API key provided.");
    }

    @Test
    void anUnauthenticatedCallIsRefusedBeforeItsMessageIsRead() throws Exception {
        byte[] large = new byte[2 * MAX_MESSAGE_BYTES];

        // refused from its metadata alone: the client has not sent a message, nor said it is done
        Status beforeAnyMessage = rawInfer(null, null);
        // a message over ilb.grpc.maxMessageBytes: read, it would have been refused RESOURCE_EXHAUSTED
        Status unauthenticated = rawInfer(null, large);
        Status authenticated = rawInfer(Appliance.API_KEY, large);

        assertThat(beforeAnyMessage.getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
        assertThat(unauthenticated.getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
        assertThat(authenticated.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    }

    @Test
    void aModelNotTheTenantsIsPermissionDenied() {
        StatusRuntimeException denied = failure(() -> stub(channel, NARROW_KEY).modelInfer(infer("resnet")));

        assertThat(denied.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(denied.getStatus().getDescription()).contains("resnet");
    }

    @Test
    void aPriorityAboveTheTenantsIsRefused() {
        StatusRuntimeException above = failure(() -> stub(channel, Appliance.API_KEY, "x-ilb-priority", "critical")
                .modelInfer(infer("dead")));
        StatusRuntimeException notAClass = failure(() -> stub(channel, Appliance.API_KEY, "x-ilb-priority", "urgent")
                .modelInfer(infer("dead")));

        assertThat(above.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(above.getStatus().getDescription()).contains("standard at most");
        assertThat(notAClass.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    }

    // -- errors ilb answers itself

    @Test
    void anUnknownModelOrVersionIsNotFound() {
        StatusRuntimeException model = failure(() -> stub(channel, Appliance.API_KEY)
                .modelInfer(infer("no-such-model")));
        StatusRuntimeException ready = failure(() -> stub(channel, Appliance.API_KEY)
                .modelReady(ModelReadyRequest.newBuilder().setName("no-such-model").build()));
        StatusRuntimeException version = failure(() -> stub(channel, Appliance.API_KEY)
                .modelInfer(infer("resnet").toBuilder().setModelVersion("3").build()));
        StatusRuntimeException pinned = failure(() -> stub(channel, Appliance.API_KEY, "x-ilb-model-version", "3")
                .modelInfer(infer("resnet")));

        assertThat(model.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
        assertThat(ready.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
        assertThat(version.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
        assertThat(version.getStatus().getDescription()).isEqualTo("Model `resnet` has no version `3`.");
        assertThat(pinned.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
    }

    @Test
    void aMalformedInferRequestIsAnInvalidArgument() throws Exception {
        InferInputTensor input = infer("dead").getInputs(0);
        List<ModelInferRequest> malformed = List.of(
                infer("dead").toBuilder().clearInputs().build(),
                infer("dead").toBuilder().setInputs(0, input.toBuilder().clearDatatype()).build(),
                infer("dead").toBuilder().setInputs(0, input.toBuilder().addShape(-1)).build(),
                infer("dead").toBuilder().setInputs(0, input.toBuilder().clearContents())
                        .addRawInputContents(com.google.protobuf.ByteString.copyFrom(new byte[12]))
                        .addRawInputContents(com.google.protobuf.ByteString.copyFrom(new byte[12])).build(),
                infer("dead").toBuilder().addRawInputContents(com.google.protobuf.ByteString.copyFrom(new byte[12]))
                        .build(),
                infer(""));

        for (ModelInferRequest request : malformed) {
            StatusRuntimeException refused = failure(() -> stub(channel, Appliance.API_KEY).modelInfer(request));
            assertThat(refused.getStatus().getCode()).as(request.toString()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        }
        // not a message at all: a field cut short
        Status garbage = rawInfer(Appliance.API_KEY, new byte[] {0x0a, 0x7f, 'm'});
        assertThat(garbage.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(garbage.getDescription()).contains("not a ModelInferRequest message");
    }

    @Test
    void aTenantAtItsRequestsPerMinuteIsResourceExhaustedWithWhenToRetry() {
        StatusRuntimeException first = failure(() -> stub(channel, LIMITED_KEY).modelInfer(infer("dead")));
        StatusRuntimeException second = failure(() -> stub(channel, LIMITED_KEY).modelInfer(infer("dead")));

        // the first was admitted (and found no backend)
        assertThat(first.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(second.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        assertThat(second.getStatus().getDescription()).contains("requests per minute (limit 1)");
        assertThat(retryDelaySeconds(second)).isPositive();
        assertThat(second.getTrailers().get(GrpcStatuses.RETRY_AFTER))
                .isEqualTo(String.valueOf(retryDelaySeconds(second)));
        assertThat(second.getTrailers().get(key("x-ratelimit-limit-requests"))).isEqualTo("1");
    }

    @Test
    void aPoolWithoutAReachableBackendIsUnavailableWithWhenToRetry() {
        // a pool no other test sends to: its backend is tried, not yet ejected by earlier failures
        StatusRuntimeException unavailable = failure(() -> stub(channel, Appliance.API_KEY)
                .modelInfer(infer("unreached")));

        assertThat(unavailable.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(retryDelaySeconds(unavailable)).isPositive();
        assertThat(unavailable.getTrailers().get(key("x-ilb-backend"))).isEqualTo("unreached-0");
        assertThat(unavailable.getTrailers().get(key("x-ilb-attempts"))).isEqualTo("1");
    }

    @Test
    void theCallsDeadlineStopsTheBackendCall() {
        StatusRuntimeException late = failure(() -> stub(channel, Appliance.API_KEY)
                .withDeadlineAfter(1, TimeUnit.SECONDS).modelInfer(infer("slow")));

        assertThat(late.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
        // ilb hung up on the backend, whose trickle would otherwise last until the backend's deadline (10 min)
        await().until(() -> ilb.backend("slow-0").inFlight() == 0 && trickling.connectionsClosed() == 1);
        assertThat(trickling.requestLines()).singleElement().asString().startsWith("POST /v2/models/slow/infer");
    }

    // -- helpers

    /**
     * A ModelInfer call with {@code message} as its bytes, or with no message and no end at all (null): the status
     * it ends with.
     */
    private static Status rawInfer(String key, byte[] message) throws Exception {
        // streaming for the client, so that it sends the metadata at once (a unary call's wait for its message)
        MethodDescriptor<byte[], byte[]> method = GRPCInferenceServiceGrpc.getModelInferMethod()
                .toBuilder(RawMessage.MARSHALLER, RawMessage.MARSHALLER)
                .setType(MethodDescriptor.MethodType.BIDI_STREAMING).build();
        ClientCall<byte[], byte[]> call = channel.newCall(method, CallOptions.DEFAULT.withDeadlineAfter(10,
                TimeUnit.SECONDS));
        CompletableFuture<Status> closed = new CompletableFuture<>();
        call.start(new ClientCall.Listener<>() {
            @Override
            public void onClose(Status status, Metadata trailers) {
                closed.complete(status);
            }
        }, headers(key));
        call.request(1);
        if (message != null) {
            call.sendMessage(message);
            call.halfClose();
        }
        return closed.get(10, TimeUnit.SECONDS);
    }

    private static <Q, A> A reflect(MethodDescriptor<Q, A> method, Q request) throws Exception {
        CompletableFuture<A> answered = new CompletableFuture<>();
        StreamObserver<Q> requests = ClientCalls.asyncBidiStreamingCall(channel.newCall(method, CallOptions.DEFAULT),
                new StreamObserver<A>() {
                    @Override
                    public void onNext(A response) {
                        answered.complete(response);
                    }

                    @Override
                    public void onError(Throwable t) {
                        answered.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                        answered.completeExceptionally(new AssertionError("no response"));
                    }
                });
        requests.onNext(request);
        requests.onCompleted();
        return answered.get(10, TimeUnit.SECONDS);
    }

    private static long retryDelaySeconds(StatusRuntimeException e) {
        return StatusProto.fromThrowable(e).getDetailsList().stream().filter(any -> any.is(RetryInfo.class))
                .map(any -> {
                    try {
                        return any.unpack(RetryInfo.class).getRetryDelay().getSeconds();
                    } catch (com.google.protobuf.InvalidProtocolBufferException ex) {
                        throw new AssertionError(ex);
                    }
                })
                .findFirst().orElseThrow(() -> new AssertionError("no RetryInfo in " + e.getStatus()));
    }
}
