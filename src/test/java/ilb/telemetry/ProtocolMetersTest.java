package ilb.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import ilb.Appliance;
import ilb.PoolRoute;
import ilb.Servers;
import ilb.inference.Protocol;
import ilb.protocols.grpc.v2.GRPCInferenceServiceGrpc;
import ilb.protocols.grpc.v2.InferTensorContents;
import ilb.protocols.grpc.v2.ModelInferRequest;
import ilb.protocols.grpc.v2.ModelInferRequest.InferInputTensor;
import ilb.simulator.SimulatorOptions;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import org.junit.jupiter.api.Test;

/**
 * The {@code protocol} label: a request's meters carry the protocol its client spoke, a backend's the protocol the
 * backend speaks, so a REST call to a gRPC backend counts as {@code http} for its model and {@code grpc} for the
 * backend.
 */
class ProtocolMetersTest {

    @Test
    void requestsCountByTheClientsProtocolAndBackendsByTheirOwn() throws Exception {
        int port = Appliance.freePort();
        try (Servers servers = new Servers()) {
            Appliance ilb = servers.ilb(PoolRoute.pool("g", "round-robin", PoolRoute.backend("g-0",
                    servers.backend(new SimulatorOptions().models("g").ttftMs(1).protocol(Protocol.GRPC)))),
                    "camel.management.enabled=true", "camel.management.host=127.0.0.1",
                    "camel.management.port=" + port);

            ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", ilb.grpcPort()).usePlaintext().build();
            try {
                Metadata key = new Metadata();
                key.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER),
                        "Bearer " + Appliance.API_KEY);
                var answer = GRPCInferenceServiceGrpc.newBlockingStub(channel)
                        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(key))
                        .withDeadlineAfter(10, TimeUnit.SECONDS)
                        .modelInfer(ModelInferRequest.newBuilder().setModelName("g").setId("r1")
                                .addInputs(InferInputTensor.newBuilder().setName("INPUT0").setDatatype("FP32")
                                        .addShape(1).addShape(1)
                                        .setContents(InferTensorContents.newBuilder().addFp32Contents(1)))
                                .build());
                assertThat(answer.getOutputsCount()).isEqualTo(1);
            } finally {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
            assertThat(ilb.post("/v2/models/g/infer", "{\"id\":\"r2\",\"inputs\":[{\"name\":\"INPUT0\","
                    + "\"datatype\":\"FP32\",\"shape\":[1,1],\"data\":[1]}]}").statusCode()).isEqualTo(200);

            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                Scrape scrape = Scrape.of(port);
                assertThat(scrape.sum("ilb_requests_total", "model=g", "outcome=success")).isEqualTo(2);
                assertThat(scrape.sum("ilb_requests_total", "model=g", "protocol=grpc", "outcome=success"))
                        .isEqualTo(1);
                assertThat(scrape.sum("ilb_requests_total", "model=g", "protocol=http", "outcome=success"))
                        .isEqualTo(1);
                assertThat(scrape.sum("ilb_request_duration_seconds_count", "model=g", "protocol=grpc")).isEqualTo(1);
                assertThat(scrape.sum("ilb_request_duration_seconds_count", "model=g", "protocol=http")).isEqualTo(1);
                // both went to the backend over gRPC
                assertThat(scrape.sum("ilb_backend_requests_total", "backend=g-0", "protocol=grpc",
                        "outcome=success")).isEqualTo(2);
                assertThat(scrape.sum("ilb_backend_request_duration_seconds_count", "backend=g-0", "protocol=grpc"))
                        .isEqualTo(2);
                assertThat(scrape.sum("ilb_backend_requests_total", "protocol=http")).isZero();
                assertThat(scrape.sum("ilb_backend_up", "backend=g-0", "protocol=grpc")).isEqualTo(1);
            });
        }
    }
}
