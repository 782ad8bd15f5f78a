package ilb.backend;

import java.util.Map;

import com.google.protobuf.Any;
import com.google.protobuf.Duration;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.RetryInfo;
import ilb.inference.BackendFailure;
import ilb.inference.HttpReply;
import ilb.inference.InferenceMessage;
import ilb.protocols.grpc.GrpcStatuses;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;

/**
 * How a gRPC call to a backend ended, as the client saw it, and what that comes to for the balancer: what the
 * backend answered, or a failure of the call as an HTTP call's would be (no connection, a connection lost, out of
 * time, a response too large).
 *
 * @param status         the call's status
 * @param trailers       the call's trailers (empty if none came)
 * @param response       the response message, or null if none came
 * @param connected      whether the call got a stream on a connection; if not, nothing reached the backend
 * @param backendsStatus whether the status came from the backend, in its trailers, rather than from this side
 */
record GrpcCallEnd(Status status, Metadata trailers, byte[] response, boolean connected, boolean backendsStatus) {

    /** The headers of a response message, as a reply to a request over gRPC carries it. */
    static final Map<String, String> GRPC_CONTENT = Map.of("content-type", "application/grpc");

    /**
     * @param sentNanos when the call started, and {@code nowNanos} when it ended ({@link System#nanoTime()})
     * @param maxResponseBytes the client's limit on a response message, which grpc-java enforces
     */
    InferenceMessage outcome(TimeLimits limits, long sentNanos, long nowNanos, int maxResponseBytes) {
        Status.Code code = status.getCode();
        if (status.isOk()) {
            return response != null ? new HttpReply(200, GRPC_CONTENT, response) : new BackendFailure(
                    BackendFailure.Kind.PROTOCOL, "the backend ended the call OK without a response message");
        }
        if (code == Status.Code.DEADLINE_EXCEEDED) {
            // ours, or the backend's running out of ours (it had it as grpc-timeout)
            return limits.outOfTime(nowNanos, sentNanos, false);
        }
        if (backendsStatus) {
            return GrpcStatuses.reply(status, retryAfterSeconds());
        }
        if (!connected) {
            return new BackendFailure(BackendFailure.Kind.CONNECT, "could not connect: " + describe());
        }
        if (GrpcStatuses.isMessageTooLarge(status)) {
            return new BackendFailure(BackendFailure.Kind.RESPONSE_TOO_LARGE, "the backend's response message is"
                    + " larger than ilb takes (" + maxResponseBytes
                    + " bytes, camel.component.backend.maxResponseBytes)");
        }
        if (code == Status.Code.INTERNAL) {
            return new BackendFailure(BackendFailure.Kind.PROTOCOL, "the backend answered something that is not"
                    + " usable gRPC: " + describe());
        }
        return new BackendFailure(BackendFailure.Kind.RESET, "the connection broke off the call: " + describe());
    }

    /**
     * When the backend asks to be tried again, in whole seconds: its {@code retry-after} trailer, else the
     * {@code google.rpc.RetryInfo} in its status details ({@code grpc-status-details-bin}), rounded up; 0 if it says
     * neither, or nothing readable.
     */
    long retryAfterSeconds() {
        String header = trailers.get(GrpcStatuses.RETRY_AFTER);
        if (header != null) {
            try {
                return Math.max(0, Long.parseLong(header.trim()));
            } catch (NumberFormatException e) {
                // an HTTP date, or nonsense: the details may say
            }
        }
        try {
            for (Any detail : StatusProto.fromStatusAndTrailers(status, trailers).getDetailsList()) {
                if (detail.is(RetryInfo.class)) {
                    Duration delay = detail.unpack(RetryInfo.class).getRetryDelay();
                    return Math.max(0, delay.getSeconds() + (delay.getNanos() > 0 ? 1 : 0));
                }
            }
        } catch (IllegalArgumentException | InvalidProtocolBufferException e) {
            // details that are no google.rpc.Status, or of another code: none
        }
        return 0;
    }

    private String describe() {
        String described = status.getCode() + (status.getDescription() == null ? "" : ": " + status.getDescription());
        return status.getCause() == null ? described : described + " (" + status.getCause().getMessage() + ")";
    }
}
