package ilb.inference;

/**
 * An error ilb answers itself, written in the client's API shape.
 *
 * @param status            HTTP status
 * @param type              OpenAI error type, e.g. {@code invalid_request_error}
 * @param code              machine-readable code, e.g. {@code model_not_found}
 * @param message           what went wrong, for a human
 * @param retryAfterSeconds value of {@code Retry-After}, or 0 for none
 */
public record ApiError(int status, String type, String code, String message, int retryAfterSeconds)
        implements InferenceMessage {

    private static final String POOL_STOPPED = "pool_stopped";

    public static ApiError badRequest(String message) {
        return new ApiError(400, "invalid_request_error", "invalid_request", message, 0);
    }

    public static ApiError notFound(String code, String message) {
        return new ApiError(404, "invalid_request_error", code, message, 0);
    }

    public static ApiError notAllowed(String model) {
        return new ApiError(403, "permission_error", "model_not_allowed",
                "Your API key may not use the model `" + model + "`.", 0);
    }

    public static ApiError tooLarge(long limit) {
        return new ApiError(413, "invalid_request_error", "request_too_large",
                "request body is larger than " + limit + " bytes", 0);
    }

    public static ApiError unavailable(String code, String message, int retryAfterSeconds) {
        return new ApiError(503, "service_unavailable", code, message, Math.max(1, retryAfterSeconds));
    }

    /**
     * The pool a request waited in stopped (its route reloaded, or ilb shutting down). The model's catalog sends such
     * a request again, to the route that replaces it; a client sees it only if none does.
     */
    public static ApiError poolStopped(String model) {
        return unavailable(POOL_STOPPED, "the pool for model " + model + " stopped (its route was reloaded, or ilb"
                + " is shutting down) while the request waited for a backend; send it again", 1);
    }

    /** Whether it is the answer of a pool that stopped while the request waited: {@link #poolStopped}. */
    public boolean isPoolStopped() {
        return status == 503 && POOL_STOPPED.equals(code);
    }

    public static ApiError badGateway(String message) {
        return new ApiError(502, "server_error", "backend_error", message, 0);
    }

    /** A backend's response too large for ilb: not retried elsewhere, where it would be as large. */
    public static ApiError responseTooLarge(String message) {
        return new ApiError(502, "server_error", "response_too_large", message, 0);
    }

    public static ApiError gatewayTimeout(String message) {
        return new ApiError(504, "timeout", "backend_timeout", message, 0);
    }

    public static ApiError internal(String message) {
        return new ApiError(500, "server_error", "internal_error", message, 0);
    }

    /** The first line of a parser's message: what went wrong, without the snippet of input it adds below. */
    public static String firstLine(String message) {
        if (message == null) {
            return "";
        }
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }
}
