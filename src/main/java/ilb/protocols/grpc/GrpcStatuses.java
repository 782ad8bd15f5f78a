package ilb.protocols.grpc;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import ilb.inference.HttpReply;
import io.grpc.Status;

/**
 * gRPC status codes and HTTP statuses, each as the other: a gRPC backend's status as the reply a REST client gets
 * (and the balancer judges, as it judges an HTTP backend's), and an HTTP status as the code a gRPC client gets.
 */
public final class GrpcStatuses {

    /** Carries a gRPC backend's own status code beside the HTTP status it stands for, so a gRPC client gets it back. */
    public static final String STATUS_HEADER = "grpc-status";
    /** Carries a gRPC backend's own status description. */
    public static final String MESSAGE_HEADER = "grpc-message";

    private GrpcStatuses() {
    }

    /** The HTTP status a gRPC status stands for (as grpc-gateway maps them). */
    public static int httpStatus(Status.Code code) {
        return switch (code) {
            case OK -> 200;
            case CANCELLED -> 499;
            case INVALID_ARGUMENT, FAILED_PRECONDITION, OUT_OF_RANGE -> 400;
            case DEADLINE_EXCEEDED -> 504;
            case NOT_FOUND -> 404;
            case ALREADY_EXISTS, ABORTED -> 409;
            case PERMISSION_DENIED -> 403;
            case UNAUTHENTICATED -> 401;
            case RESOURCE_EXHAUSTED -> 429;
            case UNIMPLEMENTED -> 501;
            case UNAVAILABLE -> 503;
            case UNKNOWN, INTERNAL, DATA_LOSS -> 500;
        };
    }

    /** The gRPC status code an HTTP status stands for. */
    public static Status.Code code(int httpStatus) {
        return switch (httpStatus) {
            case 200 -> Status.Code.OK;
            case 400, 405, 415, 417, 422 -> Status.Code.INVALID_ARGUMENT;
            case 401 -> Status.Code.UNAUTHENTICATED;
            case 403 -> Status.Code.PERMISSION_DENIED;
            case 404 -> Status.Code.NOT_FOUND;
            case 408, 504 -> Status.Code.DEADLINE_EXCEEDED;
            case 409 -> Status.Code.ABORTED;
            case 413, 429 -> Status.Code.RESOURCE_EXHAUSTED;
            case 499 -> Status.Code.CANCELLED;
            case 501 -> Status.Code.UNIMPLEMENTED;
            case 502, 503 -> Status.Code.UNAVAILABLE;
            default -> httpStatus / 100 == 2 ? Status.Code.OK
                    : httpStatus / 100 == 4 ? Status.Code.FAILED_PRECONDITION : Status.Code.INTERNAL;
        };
    }

    /**
     * A gRPC backend's error status as a KServe REST error reply ({@code {"error": "..."}}) of the HTTP status it
     * stands for, its own code and description carried in {@link #STATUS_HEADER} and {@link #MESSAGE_HEADER}.
     */
    public static HttpReply reply(Status status) {
        String description = status.getDescription() == null ? status.getCode().name() : status.getDescription();
        byte[] body = ("{\"error\":\"" + new String(JsonStringEncoder.getInstance().quoteAsString(description))
                + "\"}").getBytes(StandardCharsets.UTF_8);
        return new HttpReply(httpStatus(status.getCode()), Map.of("content-type", "application/json",
                STATUS_HEADER, Integer.toString(status.getCode().value()), MESSAGE_HEADER, description), body);
    }
}
