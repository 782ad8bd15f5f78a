package ilb.protocols.grpc;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.RetryInfo;
import ilb.inference.ApiError;
import ilb.inference.HttpReply;
import ilb.protocols.grpc.v2.ServerMetadataResponse;
import ilb.protocols.grpc.v2.ServerReadyResponse;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** What a gRPC client gets for each way a call's route can end. */
class GrpcAnswerTest {

    private static final Map<String, String> SERVED = Map.of("x-ilb-backend", "gpu-0", "x-ilb-attempts", "2");
    private static final Metadata.Key<String> BACKEND = Metadata.Key.of("x-ilb-backend",
            Metadata.ASCII_STRING_MARSHALLER);

    @Test
    void aGrpcBackendsResponseMessagePassesAsItCame() {
        byte[] message = {8, 1};

        GrpcAnswer answer = GrpcAnswer.of(KServeRpc.MODEL_INFER,
                new HttpReply(200, Map.of("content-type", "application/grpc"), message), SERVED);

        assertThat(answer.status().isOk()).isTrue();
        assertThat(answer.message()).isSameAs(message);
        assertThat(answer.headers().get(BACKEND)).isEqualTo("gpu-0");
    }

    @Test
    void aGrpcBackendsOwnStatusPassesUnchanged() {
        // HTTP 400 alone would say INVALID_ARGUMENT
        GrpcAnswer answer = GrpcAnswer.of(KServeRpc.MODEL_INFER,
                GrpcStatuses.reply(Status.FAILED_PRECONDITION.withDescription("model is loading")), SERVED);

        assertThat(answer.message()).isNull();
        assertThat(answer.status().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(answer.status().getDescription()).isEqualTo("model is loading");
        assertThat(answer.trailers().get(BACKEND)).isEqualTo("gpu-0");
    }

    @Test
    void aGrpcBackendsDescriptionOfManyLinesAndItsRefusalOfALargeRequestPassUnchanged() {
        String lines = "line1\nline2 100% é";
        String tooLarge = "Received message larger than max (5242880 vs. 4194304)";

        GrpcAnswer invalid = GrpcAnswer.of(KServeRpc.MODEL_INFER,
                GrpcStatuses.reply(Status.INVALID_ARGUMENT.withDescription(lines)), SERVED);
        // a 413 to a REST client, and RESOURCE_EXHAUSTED, the backend's, to a gRPC one
        GrpcAnswer large = GrpcAnswer.of(KServeRpc.MODEL_INFER,
                GrpcStatuses.reply(Status.RESOURCE_EXHAUSTED.withDescription(tooLarge)), SERVED);

        assertThat(invalid.status().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(invalid.status().getDescription()).isEqualTo(lines);
        assertThat(large.status().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        assertThat(large.status().getDescription()).isEqualTo(tooLarge);
        assertThat(StatusProto.fromStatusAndTrailers(large.status(), large.trailers()).getDetailsCount()).isZero();
    }

    @Test
    void anHttpBackendsErrorIsDescribedByItsBody() {
        GrpcAnswer kserve = GrpcAnswer.of(KServeRpc.MODEL_INFER,
                HttpReply.json(400, "{\"error\":\"unexpected shape for input 'INPUT0'\"}"), SERVED);
        GrpcAnswer openAi = GrpcAnswer.of(KServeRpc.MODEL_INFER,
                HttpReply.json(404, "{\"error\":{\"message\":\"no such model\",\"type\":\"x\"}}"), SERVED);
        GrpcAnswer text = GrpcAnswer.of(KServeRpc.MODEL_INFER, new HttpReply(500, Map.of(),
                "boom".getBytes(StandardCharsets.UTF_8)), SERVED);

        assertThat(kserve.status().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(kserve.status().getDescription()).isEqualTo("unexpected shape for input 'INPUT0'");
        assertThat(openAi.status().getCode()).isEqualTo(Status.Code.NOT_FOUND);
        assertThat(openAi.status().getDescription()).isEqualTo("no such model");
        assertThat(text.status().getCode()).isEqualTo(Status.Code.INTERNAL);
        assertThat(text.status().getDescription()).isEqualTo("the backend answered HTTP 500");
    }

    @Test
    void overTheLimitsAndUnavailableSayWhenToRetry() {
        GrpcAnswer limited = GrpcAnswer.of(KServeRpc.MODEL_INFER,
                new ApiError(429, "rate_limit_error", "rate_limit_exceeded", "Rate limit reached", 7), SERVED);
        GrpcAnswer full = GrpcAnswer.of(KServeRpc.MODEL_INFER,
                new HttpReply(503, Map.of("retry-after", "3"), new byte[0]), SERVED);

        assertThat(limited.status().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        assertThat(limited.status().getDescription()).isEqualTo("Rate limit reached");
        assertThat(retryDelaySeconds(limited)).isEqualTo(7);
        assertThat(limited.trailers().get(GrpcStatuses.RETRY_AFTER)).isEqualTo("7");
        assertThat(limited.trailers().get(BACKEND)).isEqualTo("gpu-0");
        assertThat(full.status().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(retryDelaySeconds(full)).isEqualTo(3);
    }

    @Test
    void otherErrorsHaveTheirCodeAndNoRetryInfo() {
        GrpcAnswer late = GrpcAnswer.of(KServeRpc.MODEL_INFER, ApiError.gatewayTimeout("too slow"), SERVED);
        GrpcAnswer denied = GrpcAnswer.of(KServeRpc.MODEL_INFER, ApiError.notAllowed("m"), SERVED);

        assertThat(late.status().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
        assertThat(StatusProto.fromStatusAndTrailers(late.status(), late.trailers()).getDetailsCount()).isZero();
        assertThat(late.trailers().containsKey(GrpcStatuses.RETRY_AFTER)).isFalse();
        assertThat(denied.status().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    }

    @Test
    void serverHealthAndMetadataBecomeTheirResponseMessages() throws InvalidProtocolBufferException {
        GrpcAnswer ready = GrpcAnswer.of(KServeRpc.SERVER_READY, new HttpReply(200, Map.of(), new byte[0]), Map.of());
        GrpcAnswer notReady = GrpcAnswer.of(KServeRpc.SERVER_READY,
                ApiError.unavailable("not_ready", "no model is served yet", 1), Map.of());
        GrpcAnswer metadata = GrpcAnswer.of(KServeRpc.SERVER_METADATA,
                HttpReply.json(200, "{\"name\":\"ilb\",\"version\":\"1\",\"extensions\":[\"binary_tensor_data\"]}"),
                Map.of());

        assertThat(ServerReadyResponse.parseFrom(ready.message()).getReady()).isTrue();
        assertThat(notReady.status().isOk()).isTrue();
        assertThat(ServerReadyResponse.parseFrom(notReady.message()).getReady()).isFalse();
        ServerMetadataResponse server = ServerMetadataResponse.parseFrom(metadata.message());
        assertThat(server.getName()).isEqualTo("ilb");
        assertThat(server.getVersion()).isEqualTo("1");
        assertThat(server.getExtensionsList()).containsExactly("binary_tensor_data");
    }

    @Test
    void aRestAnswerToAModelCallIsNoGrpcMessage() {
        GrpcAnswer answer = GrpcAnswer.of(KServeRpc.MODEL_INFER, HttpReply.json(200, "{\"outputs\":[]}"), SERVED);

        assertThat(answer.status().getCode()).isEqualTo(Status.Code.INTERNAL);
        assertThat(answer.status().getDescription()).contains("not a gRPC message");
    }

    private static long retryDelaySeconds(GrpcAnswer answer) {
        return StatusProto.fromStatusAndTrailers(answer.status(), answer.trailers()).getDetailsList().stream()
                .filter(any -> any.is(RetryInfo.class)).map(any -> {
                    try {
                        return any.unpack(RetryInfo.class).getRetryDelay().getSeconds();
                    } catch (InvalidProtocolBufferException e) {
                        throw new AssertionError(e);
                    }
                }).findFirst().orElseThrow(() -> new AssertionError("no RetryInfo"));
    }
}
