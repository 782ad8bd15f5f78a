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
        /**
         * The backend stayed silent past its {@code timeout}, or a response that is not a stream was not all in by
         * its {@code deadline}.
         */
        TIMEOUT,
        /**
         * The request's own deadline (a batch job's share of its poll) passed before the response was all in: the
         * request ran out of time, which says nothing of the backend.
         */
        EXPIRED,
        /** The backend answered something that is not usable HTTP. */
        PROTOCOL,
        /** The client went away first; the backend call was stopped. */
        CLIENT_GONE,
        /** The request could not be sent as written (e.g. a path HTTP cannot carry): nothing reached the backend. */
        REQUEST,
        /** The response was larger than ilb takes ({@code maxResponseBytes}): ilb's limit, not the backend's fault. */
        RESPONSE_TOO_LARGE
    }
}
