package ilb.backend;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import ilb.Appliance;
import ilb.OtlpReceiver;
import ilb.OtlpReceiver.ReceivedSpan;
import ilb.Servers;
import ilb.protocols.grpc.v2.GRPCInferenceServiceGrpc;
import ilb.protocols.grpc.v2.InferTensorContents;
import ilb.protocols.grpc.v2.ModelInferRequest;
import ilb.protocols.grpc.v2.ModelInferRequest.InferInputTensor;
import ilb.protocols.grpc.v2.ModelInferResponse;
import ilb.telemetry.AccessLog;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.slf4j.event.KeyValuePair;

import static ilb.PoolRoute.backend;
import static ilb.PoolRoute.pool;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

/**
 * A gRPC client's call through ilb to a gRPC backend, traced to a real OTLP receiver and in the access log: the
 * backend gets the attempt's traceparent as metadata; a call refused UNAUTHENTICATED has its span and line too.
 */
class GrpcTelemetryTest {

    private static final String TRACE_ID = "0af7651916cd43dd8448eb211c80319c";
    private static final String CLIENT_SPAN = "b7ad6b7169203331";

    private final Servers servers = new Servers();
    private final OtlpReceiver receiver = OtlpReceiver.start();
    private final ListAppender<ILoggingEvent> lines = new ListAppender<>();
    private final Logger access = (Logger) LoggerFactory.getLogger(AccessLog.LOGGER);
    private KServeGrpcServer backend;
    private ManagedChannel channel;

    @BeforeEach
    void start() {
        System.setProperty("otel.exporter.otlp.endpoint", receiver.endpoint());
        System.setProperty("otel.bsp.schedule.delay", "20");
        lines.start();
        access.addAppender(lines);
    }

    @AfterEach
    void stop() throws Exception {
        access.detachAppender(lines);
        if (channel != null) {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        servers.close();
        if (backend != null) {
            backend.close();
        }
        receiver.close();
        System.clearProperty("otel.exporter.otlp.endpoint");
        System.clearProperty("otel.bsp.schedule.delay");
    }

    private Status call(String key, String requestId) {
        Metadata metadata = new Metadata();
        metadata.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + key);
        metadata.put(Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER),
                "00-" + TRACE_ID + "-" + CLIENT_SPAN + "-01");
        metadata.put(Metadata.Key.of("x-request-id", Metadata.ASCII_STRING_MARSHALLER), requestId);
        var stub = GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(metadata));
        StatusRuntimeException failed = catchThrowableOfType(StatusRuntimeException.class, () -> stub.modelInfer(
                ModelInferRequest.newBuilder().setModelName("m").setId("r1")
                        .addInputs(InferInputTensor.newBuilder().setName("INPUT0").setDatatype("FP32").addShape(1)
                                .setContents(InferTensorContents.newBuilder().addFp32Contents(1)))
                        .build()));
        return failed == null ? Status.OK : failed.getStatus();
    }

    private static Map<String, String> fields(ILoggingEvent line) {
        List<KeyValuePair> pairs = line.getKeyValuePairs();
        return pairs.stream().collect(Collectors.toMap(p -> p.key, p -> String.valueOf(p.value)));
    }

    @Test
    void aGrpcCallIsTracedToTheBackendAndLogged() throws Exception {
        backend = KServeGrpcServer.start(KServeGrpcServer::answerEmpty);
        Appliance ilb = servers.ilb(pool("m", "round-robin", backend("g-0", backend.url())), "ilb.accessLog=true");
        channel = NettyChannelBuilder.forAddress("127.0.0.1", ilb.grpcPort()).usePlaintext().build();

        assertThat(call(Appliance.API_KEY, "grpc-ok").getCode()).isEqualTo(Status.Code.OK);
        assertThat(call("sk-wrong", "grpc-refused").getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);

        await().untilAsserted(() -> {
            assertThat(receiver.spans()).filteredOn(s -> s.kind() == ReceivedSpan.SERVER).hasSize(2);
            assertThat(receiver.spans()).filteredOn(s -> s.kind() == ReceivedSpan.CLIENT).hasSize(1);
            assertThat(lines.list).hasSize(2);
        });
        ReceivedSpan attempt = receiver.spans().stream().filter(s -> s.kind() == ReceivedSpan.CLIENT).findFirst()
                .orElseThrow();
        ReceivedSpan served = receiver.spans().stream()
                .filter(s -> s.kind() == ReceivedSpan.SERVER && s.spanId().equals(attempt.parentSpanId()))
                .findFirst().orElseThrow();
        assertThat(served.name()).isEqualTo("inference.GRPCInferenceService/ModelInfer");
        assertThat(served.traceId()).isEqualTo(TRACE_ID);
        assertThat(served.parentSpanId()).isEqualTo(CLIENT_SPAN);
        assertThat(served.attributes()).containsEntry("ilb.entry", "grpc").containsEntry("ilb.outcome", "success")
                .containsEntry("gen_ai.request.model", "m").containsEntry("ilb.backend", "g-0");
        assertThat(attempt.attributes()).containsEntry("ilb.backend", "g-0").containsEntry("ilb.outcome", "success");
        String sent = backend.calls.stream().filter(c -> c.method().endsWith("/ModelInfer")).findFirst()
                .orElseThrow().headers().get(Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER));
        assertThat(sent).isEqualTo("00-" + TRACE_ID + "-" + attempt.spanId() + "-01");
        assertThat(receiver.spans()).filteredOn(s -> s.kind() == ReceivedSpan.SERVER && s != served)
                .singleElement().satisfies(refused -> assertThat(refused.attributes())
                        .containsEntry("http.response.status_code", 401L)
                        .containsEntry("ilb.outcome", "client_error"));

        Map<String, Map<String, String>> byId = lines.list.stream().map(GrpcTelemetryTest::fields)
                .collect(Collectors.toMap(f -> f.get("request_id"), f -> f));
        assertThat(byId.get("grpc-ok")).containsEntry("entry", "grpc").containsEntry("status", "200")
                .containsEntry("outcome", "success").containsEntry("tenant", "test").containsEntry("backend", "g-0");
        assertThat(byId.get("grpc-refused")).containsEntry("entry", "grpc").containsEntry("status", "401");
    }

    @Test
    void aCallCancelledBeforeItsMessageHasItsLineAndSpan() throws Exception {
        backend = KServeGrpcServer.start(KServeGrpcServer::answerEmpty);
        Appliance ilb = servers.ilb(pool("m", "round-robin", backend("g-0", backend.url())), "ilb.accessLog=true");
        channel = NettyChannelBuilder.forAddress("127.0.0.1", ilb.grpcPort()).usePlaintext().build();
        // the connection is up: the next call's headers go out at its start, before its cancel
        assertThat(call(Appliance.API_KEY, "grpc-ok").getCode()).isEqualTo(Status.Code.OK);
        Metadata metadata = new Metadata();
        metadata.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + Appliance.API_KEY);
        metadata.put(Metadata.Key.of("x-request-id", Metadata.ASCII_STRING_MARSHALLER), "grpc-cancelled");
        ClientCall<ModelInferRequest, ModelInferResponse> call = channel.newCall(
                GRPCInferenceServiceGrpc.getModelInferMethod(),
                CallOptions.DEFAULT);
        CompletableFuture<Status> closed = new CompletableFuture<>();
        call.start(new ClientCall.Listener<ModelInferResponse>() {
            @Override
            public void onClose(Status status, Metadata trailers) {
                closed.complete(status);
            }
        }, metadata);
        // the call's headers reach ilb, its message never: the client gives up first
        call.cancel("the client gave up", null);
        assertThat(closed.get(10, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.CANCELLED);

        // one line and one span for each of the two calls: the cancelled one's record ended too
        await().untilAsserted(() -> {
            assertThat(lines.list).hasSize(2);
            assertThat(receiver.spans()).filteredOn(span -> span.kind() == ReceivedSpan.SERVER).hasSize(2);
        });
        assertThat(lines.list.stream().map(GrpcTelemetryTest::fields)
                .filter(f -> f.get("request_id").equals("grpc-cancelled"))).singleElement()
                .satisfies(f -> assertThat(f).containsEntry("outcome", "client_gone").containsEntry("status", "499"));
        assertThat(receiver.spans()).filteredOn(span -> span.kind() == ReceivedSpan.SERVER)
                .filteredOn(span -> "client_gone".equals(span.attribute("ilb.outcome"))).hasSize(1);
        // only the first call reached the backend
        assertThat(backend.calls.stream().filter(c -> c.method().endsWith("/ModelInfer"))).hasSize(1);
    }
}
