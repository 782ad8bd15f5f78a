package ilb.backend;

import java.net.ConnectException;
import java.util.concurrent.TimeUnit;

import ilb.inference.BackendFailure;
import ilb.inference.HttpReply;
import ilb.inference.InferenceMessage;
import io.grpc.Status;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** What the end of a gRPC call comes to: the backend's answer, or a failure of the call as an HTTP call's. */
class GrpcCallEndTest {

    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);
    private static final long NOW = 1_000 * SECOND;
    private final TimeLimits limits = new TimeLimits(30 * SECOND, NOW + 10 * SECOND, false);

    private InferenceMessage outcome(Status status, boolean connected, boolean backendsStatus) {
        return new GrpcCallEnd(status, null, connected, backendsStatus).outcome(limits, NOW - SECOND, NOW, 1024);
    }

    private BackendFailure.Kind kind(Status status, boolean connected, boolean backendsStatus) {
        return ((BackendFailure) outcome(status, connected, backendsStatus)).kind();
    }

    @Test
    void aResponseMessageIsTheReplyToARequestOverGrpc() {
        byte[] message = {1, 2, 3};
        InferenceMessage ok = new GrpcCallEnd(Status.OK, message, true, true).outcome(limits, NOW, NOW, 1024);

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
        // its own limit on requests, say
        assertThat(outcome(Status.RESOURCE_EXHAUSTED.withDescription("gRPC message exceeds maximum size 4194304: 5"),
                true, true)).isInstanceOfSatisfying(HttpReply.class,
                        reply -> assertThat(reply.status()).isEqualTo(429));
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
}
