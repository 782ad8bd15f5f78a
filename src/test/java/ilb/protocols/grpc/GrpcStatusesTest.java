package ilb.protocols.grpc;

import java.util.List;

import com.fasterxml.jackson.databind.ObjectMapper;
import ilb.inference.HttpReply;
import io.grpc.Status;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** A gRPC backend's status as the REST reply it stands for. */
class GrpcStatusesTest {

    @Test
    void anyDescriptionGoesInTheBodyAndNeverInAHeader() throws Exception {
        // pydantic's errors, as KServe's Python server words them, are several lines
        String description = "2 validation errors\nline2: field required\r\n\ttype=missing 100% \"sure\" é ✓";

        HttpReply reply = GrpcStatuses.reply(Status.INVALID_ARGUMENT.withDescription(description));

        assertThat(reply.status()).isEqualTo(400);
        assertThat(reply.headers()).containsOnlyKeys("content-type", GrpcStatuses.STATUS_HEADER)
                .containsEntry(GrpcStatuses.STATUS_HEADER, "3");
        assertThat(new ObjectMapper().readTree(reply.body()).path("error").asText()).isEqualTo(description);
    }

    @Test
    void aRefusalOfAMessageOverTheReceiversLimitIs413AndOtherExhaustionIs429() {
        List<String> tooLarge = List.of("Received message larger than max (5242880 vs. 4194304)",
                "gRPC message exceeds maximum size 4194304: 5242880",
                "grpc: received message larger than max (5242880 vs. 4194304)",
                "Decompressed gRPC message exceeds maximum size 4194304");

        assertThat(tooLarge).allSatisfy(refusal -> {
            Status status = Status.RESOURCE_EXHAUSTED.withDescription(refusal);
            assertThat(GrpcStatuses.isMessageTooLarge(status)).isTrue();
            assertThat(GrpcStatuses.httpStatus(status)).isEqualTo(413);
        });
        assertThat(GrpcStatuses.httpStatus(Status.RESOURCE_EXHAUSTED.withDescription("rate limited"))).isEqualTo(429);
        assertThat(GrpcStatuses.httpStatus(Status.RESOURCE_EXHAUSTED)).isEqualTo(429);
        // the same words under another code are that code's
        assertThat(GrpcStatuses.httpStatus(Status.INVALID_ARGUMENT.withDescription(tooLarge.get(0)))).isEqualTo(400);
    }

    @Test
    void aRetryAfterIsTheReplysWhenTheBackendSaysOne() {
        Status limited = Status.RESOURCE_EXHAUSTED.withDescription("rate limited");

        assertThat(GrpcStatuses.reply(limited, 7).headers()).containsEntry("retry-after", "7");
        assertThat(GrpcStatuses.reply(limited, 7).retryAfterMillis(0)).isEqualTo(7000);
        assertThat(GrpcStatuses.reply(limited).headers()).doesNotContainKey("retry-after");
    }
}
