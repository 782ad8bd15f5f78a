package ilb.backend;

import java.net.ConnectException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

import com.google.protobuf.Any;
import com.google.protobuf.Duration;
import com.google.rpc.RetryInfo;
import ilb.inference.BackendFailure;
import ilb.inference.HttpReply;
import ilb.inference.InferenceMessage;
import ilb.protocols.grpc.GrpcStatuses;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** What the end of a gRPC call comes to: the backend's answer, or a failure of the call as an HTTP call's. */
class GrpcCallEndTest {

    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);
    private static final long NOW = 1_000 * SECOND;
    private final TimeLimits limits = new TimeLimits(30 * SECOND, NOW + 10 * SECOND, false);

    private InferenceMessage outcome(Status status, boolean connected, boolean backendsStatus) {
        return new GrpcCallEnd(status, new Metadata(), null, connected, backendsStatus)
                .outcome(limits, NOW - SECOND, NOW, 1024);
    }

    /** What the backend's own status with these trailers comes to. */
    private HttpReply backendsReply(Status status, Metadata trailers) {
        return (HttpReply) new GrpcCallEnd(status, trailers, null, true, true).outcome(limits, NOW - SECOND, NOW, 1024);
    }

    private BackendFailure.Kind kind(Status status, boolean connected, boolean backendsStatus) {
        return ((BackendFailure) outcome(status, connected, backendsStatus)).kind();
    }

    @Test
    void aResponseMessageIsTheReplyToARequestOverGrpc() {
        byte[] message = {1, 2, 3};
        InferenceMessage ok = new GrpcCallEnd(Status.OK, new Metadata(), message, true, true)
                .outcome(limits, NOW, NOW, 1024);

        assertThat(ok).isInstanceOfSatisfying(HttpReply.class, reply -> {
            assertThat(reply.status()).isEqualTo(200);
            assertThat(reply.headers()).containsEntry("content-type", "application/grpc");
            assertThat(reply.body()).isSameAs(message);
        });
        assertThat(kind(Status.OK, true, true)).isEqualTo(BackendFailure.Kind.PROTOCOL);
    }

    @Test
    void aStatusFromTheBackendIsItsAnswerButForItsDeadline() {
        assertThat(outcome(Status.UNAVAILABLE.withDescription("loading"), true, true))
                .isInstanceOfSatisfying(HttpReply.class, reply -> assertThat(reply.status()).isEqualTo(503));
        assertThat(outcome(Status.RESOURCE_EXHAUSTED.withDescription("model queue is full"), true, true))
                .isInstanceOfSatisfying(HttpReply.class, reply -> assertThat(reply.status()).isEqualTo(429));
        // it ran out of the deadline it had from ilb (grpc-timeout)
        assertThat(kind(Status.DEADLINE_EXCEEDED, true, true)).isEqualTo(BackendFailure.Kind.TIMEOUT);
    }

    @Test
    void aStatusOfThisSideIsAFailureOfTheCall() {
        Status refused = Status.UNAVAILABLE.withDescription("io exception").withCause(new ConnectException("refused"));
        assertThat(outcome(refused, false, false)).isEqualTo(new BackendFailure(BackendFailure.Kind.CONNECT,
                "could not connect: UNAVAILABLE: io exception (refused)"));
        assertThat(kind(Status.UNAVAILABLE.withDescription("Connection closed"), true, false))
                .isEqualTo(BackendFailure.Kind.RESET);
        // the server reset the stream
        assertThat(kind(Status.CANCELLED, true, false)).isEqualTo(BackendFailure.Kind.RESET);
        assertThat(kind(Status.DEADLINE_EXCEEDED, false, false)).isEqualTo(BackendFailure.Kind.TIMEOUT);
        assertThat(kind(Status.INTERNAL.withDescription("invalid content-type: text/html"), true, false))
                .isEqualTo(BackendFailure.Kind.PROTOCOL);
        assertThat(kind(Status.RESOURCE_EXHAUSTED.withDescription("gRPC message exceeds maximum size 1024: 2048"),
                true, false)).isEqualTo(BackendFailure.Kind.RESPONSE_TOO_LARGE);
        // the server's transport told the client to calm down: not a size
        assertThat(kind(Status.RESOURCE_EXHAUSTED.withDescription("Bandwidth exhausted"), true, false))
                .isEqualTo(BackendFailure.Kind.RESET);
    }

    @Test
    void aBackendsRefusalOfARequestOverItsSizeLimitIsTheClients413InEitherWording() {
        // grpc-core's (C++, Python), then grpc-java's
        for (String refusal : List.of("Received message larger than max (5242880 vs. 4194304)",
                "gRPC message exceeds maximum size 4194304: 5242880")) {
            HttpReply reply = backendsReply(Status.RESOURCE_EXHAUSTED.withDescription(refusal), new Metadata());

            assertThat(reply.status()).as(refusal).isEqualTo(413);
            // a gRPC client gets the backend's own status back
            assertThat(reply.headers()).containsEntry(GrpcStatuses.STATUS_HEADER, "8");
            assertThat(new String(reply.body(), StandardCharsets.UTF_8)).isEqualTo("{\"error\":\"" + refusal + "\"}");
        }
    }

    @Test
    void theBackendsRetryAfterTrailerOrRetryInfoIsTheReplysRetryAfter() {
        Status limited = Status.RESOURCE_EXHAUSTED.withDescription("rate limited");
        Metadata header = new Metadata();
        header.put(GrpcStatuses.RETRY_AFTER, "7");
        // google.rpc.RetryInfo in grpc-status-details-bin, a part second rounded up
        Metadata details = StatusProto.toStatusRuntimeException(com.google.rpc.Status.newBuilder()
                .setCode(limited.getCode().value()).setMessage("rate limited")
                .addDetails(Any.pack(RetryInfo.newBuilder().setRetryDelay(Duration.newBuilder().setSeconds(2)
                        .setNanos(500_000_000)).build()))
                .build()).getTrailers();
        Metadata otherCode = StatusProto.toStatusRuntimeException(com.google.rpc.Status.newBuilder()
                .setCode(Status.Code.UNAVAILABLE.value()).addDetails(Any.pack(RetryInfo.newBuilder()
                        .setRetryDelay(Duration.newBuilder().setSeconds(9)).build())).build()).getTrailers();
        Metadata notANumber = new Metadata();
        notANumber.put(GrpcStatuses.RETRY_AFTER, "soon");

        assertThat(backendsReply(limited, header).headers()).containsEntry("retry-after", "7");
        assertThat(backendsReply(limited, details).headers()).containsEntry("retry-after", "3");
        assertThat(backendsReply(limited, details).retryAfterMillis(0)).isEqualTo(3000);
        assertThat(backendsReply(limited, new Metadata()).headers()).doesNotContainKey("retry-after");
        // details that contradict the status, or a trailer that is no number of seconds: said nothing
        assertThat(backendsReply(limited, otherCode).headers()).doesNotContainKey("retry-after");
        assertThat(backendsReply(limited, notANumber).headers()).doesNotContainKey("retry-after");
    }
}
