package ilb.protocols.grpc;

import java.io.IOException;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.Any;
import com.google.protobuf.Duration;
import com.google.rpc.RetryInfo;
import ilb.inference.ApiError;
import ilb.inference.HttpReply;
import ilb.inference.InferenceMessage;
import ilb.protocols.grpc.v2.ServerReadyResponse;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;

/**
 * What a gRPC client gets for what its call's route ended with: the response message with status OK, or an error
 * status. A reply of a gRPC backend's ({@code content-type: application/grpc}) is its response message. Server
 * health and metadata, which ilb answers itself in REST's terms, become their response messages. Errors get the
 * code their HTTP status stands for ({@link GrpcStatuses#code}) and their own description, a gRPC backend's own
 * status unchanged ({@link GrpcStatuses#reply}), and when to try again, for RESOURCE_EXHAUSTED and
 * UNAVAILABLE, as a {@code google.rpc.RetryInfo} in the status details and a {@code retry-after} trailer (seconds).
 *
 * @param message  the response message for status OK; null for an error
 * @param status   OK, or the error
 * @param headers  the initial metadata of an answer with a message
 * @param trailers the trailers; an error's carry what {@code headers} would (it has no initial metadata)
 */
public record GrpcAnswer(byte[] message, Status status, Metadata headers, Metadata trailers) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * The answer to {@code rpc} for what its route ended with.
     *
     * @param served the response headers that say how ilb served it ({@code x-ilb-backend}, ...): initial metadata
     */
    public static GrpcAnswer of(KServeRpc rpc, InferenceMessage ended, Map<String, String> served) {
        if (ended instanceof HttpReply reply && reply.status() / 100 == 2) {
            if (isGrpc(reply)) {
                return ok(reply.body(), served);
            }
            byte[] own = ownAnswer(rpc, reply);
            return own != null ? ok(own, served) : error(Status.INTERNAL.withDescription("the backend's answer is not a"
                    + " gRPC message (content-type " + reply.headers().get("content-type") + ")"), 0, served);
        }
        if (ended instanceof HttpReply reply) {
            return error(status(reply), seconds(reply.retryAfterMillis(0)), served);
        }
        if (ended instanceof ApiError error) {
            if (rpc == KServeRpc.SERVER_READY && error.status() == 503) {
                return ok(ServerReadyResponse.newBuilder().setReady(false).build().toByteArray(), served);
            }
            return error(Status.fromCode(GrpcStatuses.code(error.status())).withDescription(error.message()),
                    error.retryAfterSeconds(), served);
        }
        // a request no route answered, a stream (no KServe request asks for one), a failure the balancer did not
        // turn into an error
        return error(Status.INTERNAL.withDescription("the route ended without a response"), 0, served);
    }

    private static boolean isGrpc(HttpReply reply) {
        String type = reply.headers().get("content-type");
        return type != null && type.startsWith("application/grpc");
    }

    /** The response message of a call ilb answers itself, from its REST answer; null for other calls. */
    private static byte[] ownAnswer(KServeRpc rpc, HttpReply reply) {
        try {
            return KServeGrpcCodec.serverAnswer(rpc, reply.body());
        } catch (KServeGrpcCodec.Unconvertible e) {
            return null;
        }
    }

    /**
     * An error reply's status: a gRPC backend's own code ({@link GrpcStatuses#STATUS_HEADER}), else the one its HTTP
     * status stands for, described by its KServe ({@code {"error": "..."}}, as a gRPC backend's status is) or OpenAI
     * error body.
     */
    private static Status status(HttpReply reply) {
        String code = reply.headers().get(GrpcStatuses.STATUS_HEADER);
        Status status;
        try {
            status = code != null ? Status.fromCodeValue(Integer.parseInt(code.trim()))
                    : Status.fromCode(GrpcStatuses.code(reply.status()));
        } catch (NumberFormatException e) {
            status = Status.fromCode(GrpcStatuses.code(reply.status()));
        }
        return status.withDescription(described(reply));
    }

    private static String described(HttpReply reply) {
        try {
            JsonNode error = JSON.readTree(reply.body()).path("error");
            if (error.isTextual()) {
                return error.asText();
            }
            if (error.path("message").isTextual()) {
                return error.path("message").asText();
            }
        } catch (IOException | RuntimeException e) {
            // not JSON: said below
        }
        return "the backend answered HTTP " + reply.status();
    }

    private static GrpcAnswer ok(byte[] message, Map<String, String> served) {
        return new GrpcAnswer(message, Status.OK, metadata(served), new Metadata());
    }

    private static GrpcAnswer error(Status status, long retryAfterSeconds, Map<String, String> served) {
        Metadata trailers = metadata(served);
        Status.Code code = status.getCode();
        if (retryAfterSeconds <= 0 || code != Status.Code.RESOURCE_EXHAUSTED && code != Status.Code.UNAVAILABLE) {
            return new GrpcAnswer(null, status, new Metadata(), trailers);
        }
        com.google.rpc.Status details = com.google.rpc.Status.newBuilder().setCode(code.value())
                .setMessage(status.getDescription() == null ? "" : status.getDescription())
                .addDetails(Any.pack(RetryInfo.newBuilder()
                        .setRetryDelay(Duration.newBuilder().setSeconds(retryAfterSeconds)).build()))
                .build();
        // the details go into the trailers as grpc-status-details-bin
        StatusRuntimeException withDetails = StatusProto.toStatusRuntimeException(details, trailers);
        trailers.put(GrpcStatuses.RETRY_AFTER, Long.toString(retryAfterSeconds));
        return new GrpcAnswer(null, withDetails.getStatus(), new Metadata(), trailers);
    }

    private static Metadata metadata(Map<String, String> headers) {
        Metadata metadata = new Metadata();
        headers.forEach((name, value) -> metadata.put(Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER), value));
        return metadata;
    }

    private static long seconds(long millis) {
        return (millis + 999) / 1000;
    }
}
