package ilb.inference;

/**
 * An attempt that got no usable response at all. The balancer decides whether to try another backend; the client
 * only ever sees the {@link ApiError} it turns into.
 */
public record BackendFailure(Kind kind, String message) implements InferenceMessage {

    public enum Kind {
        /** No connection could be made: nothing reached the backend. */
        CONNECT,
        /** The connection broke before the first byte of the response. */
        RESET,
        /** No (first byte of the) response within the backend's timeout. */
        TIMEOUT,
        /** The backend answered something that is not usable HTTP, or too much of it. */
        PROTOCOL,
        /** The client went away first; the backend call was stopped. */
        CLIENT_GONE
    }
}
