package ilb.protocols.grpc;

import ilb.protocols.grpc.v2.GRPCInferenceServiceGrpc;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Which calls of the gRPC entry need no API key (and so are held to {@link OpenCalls#MAX_BYTES}). */
class OpenCallsTest {

    @Test
    void serverLiveAndReadyHealthAndReflectionAreOpen() {
        assertThat(OpenCalls.isOpen(GRPCInferenceServiceGrpc.getServerLiveMethod().getFullMethodName())).isTrue();
        assertThat(OpenCalls.isOpen(GRPCInferenceServiceGrpc.getServerReadyMethod().getFullMethodName())).isTrue();
        assertThat(OpenCalls.isOpen(HealthGrpc.getCheckMethod().getFullMethodName())).isTrue();
        assertThat(OpenCalls.isOpen(HealthGrpc.getWatchMethod().getFullMethodName())).isTrue();
        assertThat(OpenCalls.isOpen(ServerReflectionGrpc.getServerReflectionInfoMethod().getFullMethodName()))
                .isTrue();
        assertThat(OpenCalls.isOpen(io.grpc.reflection.v1alpha.ServerReflectionGrpc.getServerReflectionInfoMethod()
                .getFullMethodName())).isTrue();
    }

    @Test
    void theInferenceServicesOtherCallsNeedAKey() {
        assertThat(OpenCalls.isOpen(GRPCInferenceServiceGrpc.getServerMetadataMethod().getFullMethodName())).isFalse();
        assertThat(OpenCalls.isOpen(GRPCInferenceServiceGrpc.getModelReadyMethod().getFullMethodName())).isFalse();
        assertThat(OpenCalls.isOpen(GRPCInferenceServiceGrpc.getModelMetadataMethod().getFullMethodName())).isFalse();
        assertThat(OpenCalls.isOpen(GRPCInferenceServiceGrpc.getModelInferMethod().getFullMethodName())).isFalse();
    }

    @Test
    void aServiceNotBehindKeysIsOpenAndSoHeld() {
        assertThat(OpenCalls.isOpen("some.Service/Added")).isTrue();
    }
}
