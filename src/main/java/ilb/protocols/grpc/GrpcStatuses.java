package ilb.protocols.grpc;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import ilb.inference.HttpReply;
import io.grpc.Metadata;
import io.grpc.Status;

/**
 * gRPC status codes and HTTP statuses, each as the other: a gRPC backend's status as the reply a REST client gets
 * (and the balancer judges, as it judges an HTTP backend's), and an HTTP status as the code a gRPC client gets.
 */
public final class GrpcStatuses {

    /**
     * Carries a gRPC backend's own status code beside the HTTP status it stands for, so a gRPC client gets it back;
     * ilb's own, never sent to a REST client. (Its description is the body's {@code error}: a header could not carry
     * every description, a line break say.)
     */
    public static final String STATUS_HEADER = "grpc-status";
    /** When to try again, in seconds, as HTTP's {@code Retry-After} says it: a trailer some gRPC servers send. */
    public static final Metadata.Key<String> RETRY_AFTER = Metadata.Key.of("retry-after",
            Metadata.ASCII_STRING_MARSHALLER);

    private GrpcStatuses() {
    }

    /** The HTTP status a gRPC status code stands for, as grpc-gateway maps them. */
    private static int httpStatus(Status.Code code) {
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

    /**
     * The HTTP status a gRPC backend's status stands for: its code's, as grpc-gateway maps them, but 413 for its
     * refusal of a request message over its size limit ({@link #isMessageTooLarge}): the request's fault, which no
     * other backend of the same kind would take either, not a backend full for now (429).
     */
    public static int httpStatus(Status status) {
        return isMessageTooLarge(status) ? 413 : httpStatus(status.getCode());
    }

    /**
     * Whether the status is gRPC's own refusal of a message larger than its receiver takes: RESOURCE_EXHAUSTED in
     * grpc-java's words ("gRPC message exceeds maximum size 4194304: 5242880"), grpc-core's (C++, Python: "Received
     * message larger than max (5242880 vs. 4194304)") or grpc-go's ("grpc: received message larger than max ...").
     */
    public static boolean isMessageTooLarge(Status status) {
        if (status.getCode() != Status.Code.RESOURCE_EXHAUSTED || status.getDescription() == null) {
            return false;
        }
        String description = status.getDescription().toLowerCase(Locale.ROOT);
        return description.contains("exceeds maximum size")
                || description.contains("received message") && description.contains("larger than max");
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

    /** {@link #reply(Status, long)} without a {@code retry-after}. */
    public static HttpReply reply(Status status) {
        return reply(status, 0);
    }

    /**
     * A gRPC backend's error status as a KServe REST error reply ({@code {"error": "<its description>"}}) of the HTTP
     * status it stands for ({@link #httpStatus(Status)}), its own code in {@link #STATUS_HEADER}.
     *
     * @param retryAfterSeconds when the backend asks to be tried again, as the reply's {@code retry-after}; 0 if it
     *                          does not say
     */
    public static HttpReply reply(Status status, long retryAfterSeconds) {
        String description = status.getDescription() == null ? status.getCode().name() : status.getDescription();
        byte[] body = ("{\"error\":\"" + new String(JsonStringEncoder.getInstance().quoteAsString(description))
                + "\"}").getBytes(StandardCharsets.UTF_8);
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("content-type", "application/json");
        headers.put(STATUS_HEADER, Integer.toString(status.getCode().value()));
        if (retryAfterSeconds > 0) {
            headers.put("retry-after", Long.toString(retryAfterSeconds));
        }
        return new HttpReply(httpStatus(status), headers, body);
    }
}
