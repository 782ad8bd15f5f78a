package ilb.protocols.grpc;

import com.google.protobuf.ByteString;
import ilb.protocols.grpc.v2.ModelInferRequest;
import ilb.protocols.grpc.v2.ModelReadyRequest;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** How the gRPC entry reads which model a call is for. */
class GrpcApiTest {

    @Test
    void theModelAndVersionAreReadFromTheirFields() throws Exception {
        byte[] infer = ModelInferRequest.newBuilder().setModelName("resnet").setModelVersion("2").setId("r1")
                .addRawInputContents(ByteString.copyFrom(new byte[64])).build().toByteArray();
        byte[] ready = ModelReadyRequest.newBuilder().setName("llama").build().toByteArray();

        assertThat(GrpcApi.Named.in(infer)).isEqualTo(new GrpcApi.Named("resnet", "2"));
        assertThat(GrpcApi.Named.in(ready)).isEqualTo(new GrpcApi.Named("llama", ""));
        assertThat(GrpcApi.Named.in(new byte[0])).isEqualTo(new GrpcApi.Named("", ""));
    }
}
