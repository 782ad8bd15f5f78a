package ilb.protocols.grpc;

import java.util.concurrent.TimeUnit;

import ilb.protocols.grpc.v2.GRPCInferenceServiceGrpc;
import ilb.protocols.grpc.v2.GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub;
import ilb.protocols.grpc.v2.InferTensorContents;
import ilb.protocols.grpc.v2.ModelInferRequest;
import ilb.protocols.grpc.v2.ModelInferRequest.InferInputTensor;
import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** A grpc-java client of ilb's gRPC entry, as tests use it: channel, stubs with a key, requests, failures. */
final class GrpcClients {

    private GrpcClients() {
    }

    /** A plaintext channel to ilb's gRPC port that takes response messages up to {@code maxMessageBytes}. */
    static ManagedChannel channel(int port, int maxMessageBytes) {
        return NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext()
                .maxInboundMessageSize(maxMessageBytes).build();
    }

    /** A stub whose calls carry the key (if any) and the metadata pairs given, with a deadline of 10 s. */
    static GRPCInferenceServiceBlockingStub stub(Channel channel, String key, String... metadata) {
        return GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers(key, metadata)));
    }

    /** Request metadata: {@code authorization: Bearer <key>} unless the key is null, and the pairs given. */
    static Metadata headers(String key, String... metadata) {
        Metadata headers = new Metadata();
        if (key != null) {
            headers.put(key("authorization"), "Bearer " + key);
        }
        for (int i = 0; i < metadata.length; i += 2) {
            headers.put(key(metadata[i]), metadata[i + 1]);
        }
        return headers;
    }

    /** An infer request for the model: one FP32 tensor {@code INPUT0} of shape [1, 3]. */
    static ModelInferRequest infer(String model) {
        return ModelInferRequest.newBuilder().setModelName(model).setId("r1")
                .addInputs(InferInputTensor.newBuilder().setName("INPUT0").setDatatype("FP32").addShape(1).addShape(3)
                        .setContents(InferTensorContents.newBuilder().addFp32Contents(1).addFp32Contents(2)
                                .addFp32Contents(3)))
                .build();
    }

    static HealthCheckRequest service(String name) {
        return HealthCheckRequest.newBuilder().setService(name).build();
    }

    /** The status a call failed with; the test fails if it did not. */
    static StatusRuntimeException failure(Runnable call) {
        StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, call::run);
        assertThat(e).as("the call failed").isNotNull();
        return e;
    }

    static Metadata.Key<String> key(String name) {
        return Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER);
    }
}
